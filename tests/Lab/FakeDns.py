#!/usr/bin/env python3
"""A DNS server that behaves badly, on a loopback address, for the hostile cases of the DNS cmdlets.

  FakeDns.py <address> <port> <mode>
    silent    reads every query and never answers (a slow or dead server)
    unsigned  answers queries as the zone's primary would (an SOA for the name, no records), and every update
              with NOERROR but without a TSIG signature (what anyone on the path could forge)
    garbage   answers with the query's ID followed by random bytes

Prints 'ready' once it listens; UDP only (the cmdlets try UDP first).
"""
import os
import socket
import struct
import sys


def labels(name):
    out = b''
    for part in name.split('.'):
        if part:
            out += bytes([len(part)]) + part.encode('ascii')
    return out + b'\x00'


def question_end(data):
    i = 12
    while data[i] != 0:
        i += data[i] + 1
    return i + 5  # the root label, then QTYPE and QCLASS


def answer(data, mode):
    if len(data) < 12:
        return None
    if mode == 'garbage':
        return data[:2] + os.urandom(48)
    ident, flags = struct.unpack('!HH', data[:4])
    opcode = (flags >> 11) & 0xF
    end = question_end(data)
    question = data[12:end]
    qtype = struct.unpack('!H', data[end - 4:end - 2])[0]
    reply_flags = 0x8000 | (opcode << 11) | 0x0400  # a response, authoritative, NOERROR
    if opcode == 5:  # UPDATE: the zone section back, and nothing else: no TSIG record
        return struct.pack('!HHHHHH', ident, reply_flags, 1, 0, 0, 0) + question
    records = b''
    count = 0
    if qtype == 6:  # SOA: this name is a zone's apex
        rdata = labels('ns.fake.test') + labels('hostmaster.fake.test') + struct.pack('!IIIII', 1, 3600, 600, 86400, 5)
        records = b'\xc0\x0c' + struct.pack('!HHIH', 6, 1, 300, len(rdata)) + rdata
        count = 1
    return struct.pack('!HHHHHH', ident, reply_flags, 1, count, 0, 0) + question + records


def main():
    address, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    print('ready', flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        if mode == 'silent':
            continue
        try:
            reply = answer(data, mode)
        except (IndexError, struct.error):
            reply = None
        if reply:
            sock.sendto(reply, peer)


if __name__ == '__main__':
    main()
