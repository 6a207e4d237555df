import { describe, expect, it } from 'vitest';
import { ALL_FEATURES, linksFor } from '../../alert-engine/snapshot.js';
import { sampleAlert, sampleAlert2, T0 } from '../support/notifications.js';

const MIN = 60_000;
const TEMPLATE =
  'http://grafana:3000/d/driftwatch?var-model={{model}}&var-version={{model_version}}&var-window={{window}}&var-feature={{feature}}&from={{from}}&to={{to}}';

const params = (url: string | null) => Object.fromEntries(new URL(url ?? '').searchParams);

describe('the dashboard link of a notification', () => {
  it('shows the firing window inside the range: one window before the start, one past the end', () => {
    // 5-minute windows; the alert started at T0 and its latest window ends at T0 + 10m.
    const alert = sampleAlert({
      startsAt: T0,
      windowStart: T0 + 5 * MIN,
      windowEnd: T0 + 10 * MIN,
    });
    const link = params(linksFor([alert], TEMPLATE).dashboard);
    expect(link).toEqual({
      'var-model': 'fraud',
      'var-version': '3',
      'var-window': alert.window,
      'var-feature': 'amount',
      from: String(T0 - 5 * MIN),
      to: String(T0 + 15 * MIN),
    });
  });

  it('spans every alert of the group and selects all features when they differ', () => {
    const early = sampleAlert({ startsAt: T0 - 20 * MIN });
    const late = sampleAlert2({ windowStart: T0 + 5 * MIN, windowEnd: T0 + 10 * MIN });
    const link = params(linksFor([early, late], TEMPLATE).dashboard);
    expect(link['var-feature']).toBe(ALL_FEATURES);
    expect(link.from).toBe(String(T0 - 25 * MIN));
    expect(link.to).toBe(String(T0 + 15 * MIN));
  });

  it('selects all features for a stale alert (feature *)', () => {
    const link = params(linksFor([sampleAlert({ feature: '*' })], TEMPLATE).dashboard);
    expect(link['var-feature']).toBe(ALL_FEATURES);
  });

  it('has no dashboard link without a template', () => {
    expect(linksFor([sampleAlert()], undefined).dashboard).toBeNull();
  });
});
