import type { FaultInjector } from './faults';
import { faultRuleSchema } from './faults';
import { readBody } from './protocols/body';
import type { ServiceModule } from './service';

/**
 * Loopback-only admin routes of the embedded AWS (not an AWS API):
 *   GET /_aep/health             → {"status":"ok"}
 *   GET|POST|DELETE /_aep/faults → list, add (a FaultRule JSON), clear the fault-injection rules
 */
export function createAdminService(faults: FaultInjector): ServiceModule {
  return {
    name: 'admin',
    handles: (_req, ctx) => ctx.url.pathname === '/_aep/health' || ctx.url.pathname === '/_aep/faults',
    async handle(req, res, ctx) {
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (ctx.url.pathname === '/_aep/health') return send(200, { status: 'ok' });
      if (req.method === 'GET') return send(200, { rules: faults.list() });
      if (req.method === 'DELETE') {
        faults.clear();
        return send(200, { rules: [] });
      }
      if (req.method === 'POST') {
        let json: unknown;
        try {
          json = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
        } catch {
          return send(400, { __type: 'SerializationException', message: 'Body must be a JSON fault rule' });
        }
        const parsed = faultRuleSchema.safeParse(json);
        if (!parsed.success) return send(400, { __type: 'ValidationException', message: parsed.error.message });
        return send(200, { id: faults.add(parsed.data) });
      }
      return send(405, { __type: 'MethodNotAllowed', message: `${req.method} is not allowed on /_aep/faults` });
    },
  };
}
