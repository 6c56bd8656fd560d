#!/usr/bin/env node
// Check Adaptive Cards with the official renderer (npm `adaptivecards`), no browser needed.
//
// Protocol: one JSON object per line on stdin, one answer per line on stdout, in order.
//   request:  {"id": 1, "card": {...}, "targetVersion": "1.5"}   (targetVersion optional)
//   answer:   {"id": 1, "problems": ["...", ...]}                 (empty list = clean)
//   or        {"id": 1, "error": "..."}                           (the request itself was bad)
// Parsing, property validation and the Action.Execute `verb` check are all reported as problems.
'use strict';

const readline = require('readline');
const AC = require('adaptivecards/dist/adaptivecards.js');

const DEFAULT_TARGET = '1.5';

function describe(source) {
  if (!source || typeof source.getJsonTypeName !== 'function') return '';
  const id = source.id ? `#${source.id}` : '';
  return `${source.getJsonTypeName()}${id}: `;
}

function eventLine(event) {
  const name = AC.ValidationEvent[event.event] || String(event.event);
  return `[${name}] ${describe(event.source)}${event.message}`;
}

// The renderer accepts an Action.Execute without a verb; Teams' bots cannot route it.
function missingVerbs(node, path, out) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => missingVerbs(item, `${path}[${i}]`, out));
    return out;
  }
  if (node === null || typeof node !== 'object') return out;
  if (node.type === 'Action.Execute' && (typeof node.verb !== 'string' || !node.verb.trim())) {
    const title = node.title ? ` "${node.title}"` : '';
    out.push(`[MissingVerb] Action.Execute${title} at ${path} has no verb`);
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'data' && typeof node.type === 'string' && node.type.startsWith('Action.')) continue;
    missingVerbs(value, `${path}.${key}`, out);
  }
  return out;
}

function parseVersion(text) {
  const version = AC.Version.parse(String(text), new AC.SerializationContext());
  if (!version || !version.isValid) throw new Error(`invalid targetVersion ${JSON.stringify(text)}`);
  return version;
}

function check(card, targetVersion) {
  if (card === null || typeof card !== 'object' || Array.isArray(card)) {
    return ['[Other] the card is not a JSON object'];
  }
  const problems = [];
  const target = parseVersion(targetVersion || DEFAULT_TARGET);
  if (card.type !== 'AdaptiveCard') problems.push(`[MissingCardType] type is ${JSON.stringify(card.type)}, not "AdaptiveCard"`);
  if (typeof card.version === 'string') {
    const declared = parseVersion(card.version);
    if (declared.compareTo(target) > 0) {
      problems.push(`[UnsupportedCardVersion] card version ${card.version} is newer than the target ${target.toString()}`);
    }
  } else {
    problems.push('[Other] the card has no "version"');
  }

  const adaptiveCard = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(target);
  adaptiveCard.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(eventLine(context.getEventAt(i)));
  for (const event of adaptiveCard.validateProperties().validationEvents) problems.push(eventLine(event));
  missingVerbs(card, '$', problems);
  return problems;
}

function answer(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  if (!line.trim()) return;
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    answer({ id: null, error: `bad request line: ${err.message}` });
    return;
  }
  try {
    answer({ id: request.id, problems: check(request.card, request.targetVersion) });
  } catch (err) {
    answer({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
input.on('close', () => process.exit(0));
