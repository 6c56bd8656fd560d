"""The repositories a unit of work hands out (one module each; gathered here)."""

from storage.audit_log import SqlAuditLog, chain_hash
from storage.card_messages import CardMessage, CardMessageRepository
from storage.conversations import ConversationRef, ConversationRefRepository
from storage.jobs import ClaimedJob, JobStore, SqlJobQueue
from storage.outbox import ClaimedMessage, OutboxStore, SqlOutbox
from storage.request_repository import OPEN_STATES, SqlRequestRepository
from storage.work_queue import Backlog

__all__ = [
    "OPEN_STATES",
    "Backlog",
    "CardMessage",
    "CardMessageRepository",
    "ClaimedJob",
    "ClaimedMessage",
    "ConversationRef",
    "ConversationRefRepository",
    "JobStore",
    "OutboxStore",
    "SqlAuditLog",
    "SqlJobQueue",
    "SqlOutbox",
    "SqlRequestRepository",
    "chain_hash",
]
