import type { Definition } from './definition.js';

/**
 * The example cohorts of the product brief (cohort-definition.md), shared by
 * tests, benchmarks and the web app's examples.
 */

/** Purchased brand "something" priced above 1000 more than once, since 22 March 2023. */
export const BRIEF_EXAMPLE: Definition = {
  match: 'all',
  rules: [
    {
      type: 'event',
      event: 'purchase',
      where: [
        { property: 'brand', op: 'eq', value: 'something' },
        { property: 'price', op: 'gt', value: 1000 },
      ],
      count: { op: 'gt', value: 1 },
      window: { type: 'since', from: '2023-03-22' },
    },
  ],
};

/** Downloaded the app but never signed up. */
export const DOWNLOADED_NEVER_SIGNED_UP: Definition = {
  match: 'all',
  rules: [
    { type: 'event', event: 'app_download' },
    { type: 'event', event: 'signup_activity', negate: true },
  ],
};
