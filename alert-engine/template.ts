/**
 * `{{ name }}` placeholders in annotations and the dashboard URL. Unknown names are left as
 * written so a typo shows in the notification instead of vanishing.
 */
export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string | number | null>>,
  encode: (s: string) => string = (s) => s,
): string {
  return template.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g, (whole, key: string) => {
    if (!Object.hasOwn(values, key)) return whole;
    const v = values[key];
    return encode(v === null || v === undefined ? 'n/a' : formatValue(v));
  });
}

function formatValue(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && abs < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}
