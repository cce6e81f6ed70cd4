// request.cf as an edge node fills it. Country needs an IP database, which atoll does
// not ship yet: it is "XX", Cloudflare's code for unknown, and a CF-IPCountry header
// from the client is not believed (it would let anyone pick their country).

import type { IncomingMessage } from 'node:http';

export function edgeRequestCf(req: IncomingMessage, location: string): Record<string, unknown> {
  return {
    colo: location,
    country: 'XX',
    httpProtocol: `HTTP/${req.httpVersion}`,
    clientAcceptEncoding: req.headers['accept-encoding'] ?? '',
    requestPriority: '',
    edgeRequestKeepAliveStatus: 1,
  };
}
