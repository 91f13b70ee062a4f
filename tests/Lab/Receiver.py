# The lab's notification receiver (internet side): records every request as one JSON line (method, path, the
# headers ntfy reads, body) and answers 200; while the file <log>.slow exists it waits 60 s before answering.
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

address, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Handler(BaseHTTPRequestHandler):
    def handle_one(self, method):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length).decode('utf-8', 'replace') if length else ''
        if os.path.exists(log + '.slow'):
            time.sleep(60)
        record = {'method': method, 'path': self.path, 'title': self.headers.get('Title'), 'priority': self.headers.get('Priority'),
                  'type': self.headers.get('Content-Type'), 'body': body, 'time': time.time()}
        with open(log, 'a') as f:
            f.write(json.dumps(record) + '\n')
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    def do_POST(self):
        self.handle_one('POST')

    def do_GET(self):
        self.handle_one('GET')

    def log_message(self, *args):
        pass

ThreadingHTTPServer((address, port), Handler).serve_forever()
