import type { BulkBatch } from '../storage/duckdb/bulk-loader.js';

/**
 * Deterministic demo data for a shop: the same options (seed, sizes, end time)
 * always give the same users, traits and events. Produced in batches of
 * columnar arrays, so 20M events never sit in memory at once and the bulk
 * loader can append them without building an object per event.
 */
export interface SeedOptions {
  users: number;
  events: number;
  days: number;
  seed: number;
  /** End of the time span (events fall in [end - days, end]). */
  end: Date;
  /** Approximate events per batch (a batch always holds whole users). */
  batchEvents?: number;
}

/** sfc32: small, fast, good enough for demo data, and seedable. */
export function createRandom(seed: number): () => number {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // mix the seed in before the first use
  return next;
}

interface Product { id: string; brand: string; category: string; price: number; fragment: string }

/** The brand the example cohort asks about; its catalogue is premium-heavy on purpose. */
export const FEATURED_BRAND = 'something';
const BRANDS = [FEATURED_BRAND, 'acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne'];
const CATEGORIES: [string, number, number][] = [
  ['laptops', 600, 2600],
  ['phones', 300, 1500],
  ['cameras', 400, 3000],
  ['headphones', 40, 450],
  ['watches', 150, 900],
  ['accessories', 9, 120],
];

function buildCatalog(): Product[] {
  // Fixed (seed-independent) so products mean the same thing in every data set.
  const rnd = createRandom(424242);
  const products: Product[] = [];
  for (const brand of BRANDS) {
    for (const [category, lo, hi] of CATEGORIES) {
      const variants = brand === FEATURED_BRAND ? 2 : 1;
      for (let v = 0; v < variants; v++) {
        const premium = brand === FEATURED_BRAND && hi > 1000 ? 1.25 : 1;
        const base = Math.min(hi * 1.3, (lo + rnd() * (hi - lo)) * premium);
        const price = Math.round(base) - 0.01;
        const id = `sku_${String(products.length + 1).padStart(4, '0')}`;
        const fragment = `"product_id":"${id}","brand":"${brand}","category":"${category}","price":${price}`;
        products.push({ id, brand, category, price, fragment });
      }
    }
  }
  // The cohort example needs expensive products of the featured brand.
  const featured = products.filter((p) => p.brand === FEATURED_BRAND);
  featured[0].price = 1899.99;
  featured[0].fragment = featured[0].fragment.replace(/"price":[0-9.]+/, '"price":1899.99');
  return products;
}

export const PRODUCTS: readonly Product[] = buildCatalog();
const BY_BRAND = new Map(BRANDS.map((b) => [b, PRODUCTS.filter((p) => p.brand === b)]));
/** What fans of a brand look at: its high-end products three times as often. */
const FAVOURITES = new Map(
  [...BY_BRAND].map(([b, list]) => [b, list.flatMap((p) => (p.price > 1000 ? [p, p, p] : [p]))]),
);

const COUNTRIES: [string, number][] = [['US', 30], ['DE', 12], ['GB', 10], ['FR', 9], ['IN', 8], ['BR', 7], ['JP', 6], ['CA', 6], ['ES', 5], ['NL', 4], ['AU', 3]];
const PLANS: [string, number][] = [['free', 70], ['plus', 22], ['pro', 8]];
const FIRST = ['ana', 'ben', 'chen', 'dana', 'eli', 'fatima', 'gus', 'hana', 'ivan', 'julia', 'kofi', 'lena', 'marco', 'nina', 'omar', 'priya', 'quinn', 'rosa', 'sam', 'tariq', 'uma', 'vera', 'wen', 'yuki', 'zoe'];
const LAST = ['smith', 'garcia', 'muller', 'rossi', 'kim', 'nguyen', 'silva', 'khan', 'dubois', 'sato', 'novak', 'olsen', 'patel', 'costa', 'berg'];
const DOMAINS = ['example.com', 'mail.test', 'shop.example'];
const CLICK_TARGETS = ['banner', 'recommendation', 'search', 'newsletter', 'footer_link'];
const PAGES = ['home', 'category', 'product', 'cart', 'account'];
const SIGNUP_METHODS = ['email', 'google', 'apple'];
const PLATFORMS = ['ios', 'android'];

/** Property paths and JSON types of every event the generator emits (the event_properties catalogue). */
export const SHOP_PROPERTIES: readonly (readonly [string, string, string])[] = [
  ...['view', 'cart', 'purchase'].flatMap((e) => [
    [e, 'product_id', 'string'] as const,
    [e, 'brand', 'string'] as const,
    [e, 'category', 'string'] as const,
    [e, 'price', 'number'] as const,
  ]),
  ['cart', 'quantity', 'number'],
  ['purchase', 'quantity', 'number'],
  ['purchase', 'revenue', 'number'],
  ['purchase', 'currency', 'string'],
  ['purchase', 'order_id', 'string'],
  ['click', 'target', 'string'],
  ['click', 'page', 'string'],
  ['signup_activity', 'method', 'string'],
  ['app_download', 'platform', 'string'],
];

const DAY = 86_400_000;
const cumulative = (w: [string, number][]) => {
  const total = w.reduce((s, [, n]) => s + n, 0);
  let acc = 0;
  return w.map(([v, n]) => [v, (acc += n) / total] as const);
};
const COUNTRY_CDF = cumulative(COUNTRIES);
const PLAN_CDF = cumulative(PLANS);
const pickCdf = (cdf: readonly (readonly [string, number])[], r: number) => cdf.find(([, p]) => r < p)?.[0] ?? cdf[cdf.length - 1][0];

export const userIdOf = (n: number) => `user_${String(n).padStart(7, '0')}`;

/**
 * Events per user: heavy-tailed (a few very active users, many light ones)
 * and summing exactly to `total`.
 */
function eventBudgets(users: number, total: number, rnd: () => number): Uint32Array {
  const w = new Float64Array(users);
  let sum = 0;
  for (let i = 0; i < users; i++) {
    // Log-normal weights via Box-Muller.
    const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    w[i] = Math.exp(1.1 * g);
    sum += w[i];
  }
  const out = new Uint32Array(users);
  let assigned = 0;
  for (let i = 0; i < users; i++) {
    out[i] = Math.floor((w[i] / sum) * total);
    assigned += out[i];
  }
  for (let i = 0; assigned < total; i = (i + 1) % users, assigned++) out[i]++;
  return out;
}

/** Appends one user's identify traits and events (exactly `budget` events) to the batch. */
class UserWriter {
  private order = 0;
  constructor(private readonly rnd: () => number, private readonly start: number, private readonly end: number) {}

  write(n: number, budget: number, b: BulkBatch): void {
    const rnd = this.rnd;
    const userId = userIdOf(n);
    const span = this.end - this.start;
    // Sign-ups lean towards the start of the span, so most people have a history.
    const signup = this.start + Math.floor(span * rnd() * rnd());
    const appOnly = rnd() < 0.08;
    const country = pickCdf(COUNTRY_CDF, rnd());
    const trait = (key: string, json: string) => {
      b.traits.externalId.push(userId);
      b.traits.key.push(key);
      b.traits.value.push(json);
      b.traits.ts.push(signup);
    };
    trait('country', JSON.stringify(country));
    if (!appOnly) {
      const email = `${FIRST[Math.floor(rnd() * FIRST.length)]}.${LAST[Math.floor(rnd() * LAST.length)]}${n}@${DOMAINS[n % DOMAINS.length]}`;
      trait('email', JSON.stringify(email));
      trait('plan', JSON.stringify(pickCdf(PLAN_CDF, rnd())));
      trait('signup_date', JSON.stringify(new Date(signup).toISOString().slice(0, 10)));
    }
    if (budget === 0) return;
    const ev = b.events;
    const push = (event: string, ts: number, props: string) => {
      ev.externalId.push(userId);
      ev.event.push(event);
      ev.ts.push(Math.min(ts, this.end));
      ev.props.push(props);
    };
    if (appOnly) push('app_download', signup, `{"platform":"${PLATFORMS[Math.floor(rnd() * 2)]}"}`);
    else push('signup_activity', signup, `{"method":"${SIGNUP_METHODS[Math.floor(rnd() * 3)]}"}`);
    let left = budget - 1;
    const fan = rnd() < 0.45 ? FEATURED_BRAND : BRANDS[1 + Math.floor(rnd() * (BRANDS.length - 1))];
    const favourites = FAVOURITES.get(fan)!;
    // Buyers differ a lot: some mostly browse, some buy in most sessions.
    const buyer = rnd() < 0.4 ? 0.8 : 0.3;
    const life = this.end - signup;
    while (left > 0) {
      let t = signup + Math.floor(rnd() * life);
      const views = 1 + Math.floor(rnd() * 3);
      let product = PRODUCTS[0];
      for (let v = 0; v < views && left > 0; v++, left--) {
        product = rnd() < 0.7 ? favourites[Math.floor(rnd() * favourites.length)] : PRODUCTS[Math.floor(rnd() * PRODUCTS.length)];
        t += 5_000 + Math.floor(rnd() * 90_000);
        push('view', t, `{${product.fragment}}`);
      }
      if (left > 0 && rnd() < 0.4) {
        t += 2_000 + Math.floor(rnd() * 30_000);
        push('click', t, `{"target":"${CLICK_TARGETS[Math.floor(rnd() * CLICK_TARGETS.length)]}","page":"${PAGES[Math.floor(rnd() * PAGES.length)]}"}`);
        left--;
      }
      if (left > 0 && rnd() < 0.5) {
        const q = rnd() < 0.85 ? 1 : rnd() < 0.7 ? 2 : 3;
        t += 10_000 + Math.floor(rnd() * 120_000);
        push('cart', t, `{${product.fragment},"quantity":${q}}`);
        left--;
        if (left > 0 && rnd() < buyer) {
          t += 30_000 + Math.floor(rnd() * 600_000);
          const revenue = Math.round(product.price * q * 100) / 100;
          push('purchase', t, `{${product.fragment},"quantity":${q},"revenue":${revenue},"currency":"USD","order_id":"o_${n}_${++this.order}"}`);
          left--;
        }
      }
    }
  }
}

export const emptyBatch = (): BulkBatch => ({
  events: { externalId: [], event: [], ts: [], props: [] },
  traits: { externalId: [], key: [], value: [], ts: [] },
  properties: SHOP_PROPERTIES,
});

/** Yields the data set in batches of whole users, about `batchEvents` events each. */
export function* generateShopData(o: SeedOptions): Generator<BulkBatch> {
  const rnd = createRandom(o.seed);
  const budgets = eventBudgets(o.users, o.events, rnd);
  const end = o.end.getTime();
  const writer = new UserWriter(rnd, end - o.days * DAY, end);
  const size = o.batchEvents ?? 65_536;
  let batch = emptyBatch();
  for (let i = 0; i < o.users; i++) {
    writer.write(i + 1, budgets[i], batch);
    if (batch.events.event.length >= size) {
      yield batch;
      batch = emptyBatch();
    }
  }
  if (batch.events.event.length || batch.traits.key.length) yield batch;
}
