import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { liveQuerySchema } from '../schemas/events.js';
import { propertyValuesQuerySchema } from '../schemas/property-catalog.js';
import type { Access } from '../services/accounts/access-port.js';
import { invalidInput, zodIssues } from '../services/errors.js';
import { eventJson, type EventsService } from '../services/events.js';
import type { Authenticator } from './auth.js';
import { errorResponses } from './openapi-shapes.js';

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what = 'query'): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidInput(`Invalid ${what}`, zodIssues(r.error.issues));
  return r.data;
}

const HEARTBEAT_MS = 15_000;

const liveEvent = z.object({ userId: z.string(), event: z.string(), timestamp: z.string(), properties: z.record(z.string(), z.unknown()), receivedAt: z.string() });
const userProfile = z.object({
  userId: z.string(),
  properties: z.record(z.string(), z.unknown()).describe('current traits'),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  eventCount: z.number().int(),
  recentEvents: z.array(liveEvent),
  cohorts: z.array(z.object({ id: z.string(), name: z.string() })).describe('the cohorts you can see that hold this user'),
});

/** Events and users (api.md): event types, live events, SSE stream, user profile. */
export function registerEventRoutes(app: FastifyInstance, deps: { events: EventsService; auth: Authenticator; access: Access }): void {
  const { events, auth, access } = deps;
  const streams = new Set<() => void>();
  // Streams never end by themselves: close them so shutdown is not held up.
  app.addHook('onClose', async () => {
    for (const end of streams) end();
  });
  const admin = { preHandler: auth.management() };

  app.get('/v1/event-types', admin, async () => events.eventTypes());
  app.get('/v1/properties/values', admin, async (req) => events.propertyValues(parseWith(propertyValuesQuerySchema, req.query)));
  app.get('/v1/traits', admin, async () => events.traits());
  app.get('/v1/events/live', admin, async (req) => events.live(parseWith(liveQuerySchema, req.query)));
  app.withTypeProvider<ZodTypeProvider>().get('/v1/users/:userId', {
    ...admin,
    schema: { summary: "A user's traits, counts, recent events and cohorts", params: z.object({ userId: z.string().min(1) }), response: { 200: userProfile, ...errorResponses(401, 404) } },
  }, async (req) => {
    const u = await events.user(req.params.userId);
    const visible = await access.visibleCohorts(req.principal);
    return visible === 'all' ? u : { ...u, cohorts: u.cohorts.filter((c) => visible.has(c.id)) };
  });

  // Server-Sent Events: one `event` message per stored event, filtered like /live.
  // Browsers authenticate by their session cookie (EventSource sends it); never a token in the URL, which logs keep.
  app.get(
    '/v1/events/stream',
    admin,
    async (req, reply) => {
      const f = parseWith(liveQuerySchema.omit({ limit: true }), req.query);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      const unsubscribe = events.subscribe((batch) => {
        for (const e of batch) {
          if (f.event && e.event !== f.event) continue;
          if (f.userId && e.userId !== f.userId) continue;
          res.write(`id: ${e.seq}\nevent: event\ndata: ${JSON.stringify(eventJson(e))}\n\n`);
        }
      });
      const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const stop = () => {
        clearInterval(beat);
        unsubscribe();
        streams.delete(end);
      };
      const end = () => {
        stop();
        res.end();
      };
      streams.add(end);
      req.raw.on('close', stop);
      res.on('error', stop);
    },
  );
}
