// A real Server-Sent Events client for tests, on node:http: it parses frames as they
// arrive, and can stop reading (pause) to play a slow consumer.

import { request, type IncomingMessage } from 'node:http';

export interface SseFrame {
  event: string;
  data: any;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  frames: SseFrame[];
  /** Raw bytes received so far. */
  bytes: number;
  ended: Promise<void>;
  /** Resolves with the first frame (from now on, or already received) that `match` accepts. */
  next(match: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  pause(): void;
  resume(): void;
  close(): void;
}

export function openSse(url: string, token: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, (res) => {
      const frames: SseFrame[] = [];
      const waiters: (() => void)[] = [];
      let buffer = '';
      let bytes = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue; // a comment (keep-alive)
          const text = data.join('\n');
          frames.push({ event, data: text.startsWith('{') ? JSON.parse(text) : text });
          for (const w of waiters.splice(0)) w();
        }
      });
      const ended = new Promise<void>((r) => res.on('close', () => { for (const w of waiters.splice(0)) w(); r(); }));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        get bytes() { return bytes; },
        ended,
        async next(match, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          let from = 0;
          for (;;) {
            const found = frames.slice(from).find(match);
            if (found) return found;
            from = frames.length;
            if (res.closed) throw new Error(`the stream ended; frames: ${JSON.stringify(frames.map((f) => f.event))}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames.map((f) => f.event))}`);
            await new Promise<void>((r) => { waiters.push(r); setTimeout(r, left).unref(); });
          }
        },
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
