import re, sys
src = open('/work/main/node_modules/@microsoft/m365agentsplayground/dist/index.js').read()
mid = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
m = re.search(r'[,{]' + mid + r':(\(|function|module)', src)
s = src[m.start()+1:m.start()+1+n]
# cut at the next module header
nxt = re.search(r'\},\d{2,6}:(\(__unused|\(module|\(__webpack|function\(|module=>|\(exports|\(__unused_webpack_module)', s[10:])
if nxt: s = s[:10+nxt.start()+1]
print(s.replace(';', ';\n'))
