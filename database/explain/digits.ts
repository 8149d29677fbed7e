/**
 * Numbers with en-US digit grouping ("12,345.67"), as `x.toLocaleString('en-US')` writes them, without Intl: the
 * first Intl call of a process loads ICU's number data (about 20 ms here), which a one-shot `pgperf explain` pays
 * for one plan's row counts. Numbers with more than three decimals, non-finite ones and those JavaScript writes
 * with an exponent go to Intl, which alone rounds them as it does.
 */
export function groupDigits(x: number): string {
  const s = String(x);
  const dot = s.indexOf('.');
  if (!Number.isFinite(x) || s.includes('e') || (dot >= 0 && s.length - dot - 1 > 3)) return x.toLocaleString('en-US');
  const sign = s.startsWith('-') ? 1 : 0;
  const whole = s.slice(sign, dot < 0 ? s.length : dot);
  let grouped = whole.slice(0, ((whole.length - 1) % 3) + 1);
  for (let i = grouped.length; i < whole.length; i += 3) grouped += `,${whole.slice(i, i + 3)}`;
  // `-0` is written "-0", as Intl does.
  return (sign || Object.is(x, -0) ? '-' : '') + grouped + (dot < 0 ? '' : s.slice(dot));
}
