/**
 * Fee and hold arithmetic, exact in integers.
 *
 * A fee is notional × bps / 10,000, rounded up (in the exchange's favour: a charge rounds up,
 * a rebate — negative bps — rounds toward zero). Rounding each fill on its own could charge an
 * order more, in total, than its hold covers; instead each order carries the fraction it was
 * overcharged so far (its fee carry, in 1/10,000 of a quote unit, in (-10000, 0]), and each
 * fill pays ceil((carry + notional × bps) / 10,000). So an order's fees over all its fills are
 * ceil(sum of exact fees): never more than one unit above the exact total, never below it.
 *
 * notional × bps can pass 2^53, so it is split: notional = a × 10,000 + b, and the exact fee
 * is a × bps + b × bps / 10,000, where b × bps stays below 10^8.
 */
const BPS = 10_000;

/**
 * floor(x / 10,000) for a safe integer x, exact, without a division: x × 10^-4 is within one
 * of the true quotient (its error is below 1 for |x| < 2^53), and one exact integer step fixes it.
 */
function floorDiv(x: number): number {
  let q = Math.floor(x * 1e-4);
  if (q * BPS > x) q -= 1;
  else if ((q + 1) * BPS <= x) q += 1;
  return q;
}

/** ceil(x / 10,000), exact (see floorDiv). */
function ceilDiv(x: number): number {
  return -floorDiv(-x) + 0;
}

/** The fee of a fill with the order's carry: ceil((carry + notional × bps) / 10,000). */
export function feeUp(carry: number, notional: number, bps: number): number {
  const a = floorDiv(notional);
  const fraction = carry + (notional - a * BPS) * bps;
  return a * bps + ceilDiv(fraction);
}

/** The carry after paying `fee` for that fill; in (-10,000, 0]. */
export function carryAfter(carry: number, notional: number, bps: number, fee: number): number {
  const a = floorDiv(notional);
  const fraction = carry + (notional - a * BPS) * bps;
  return fraction - (fee - a * bps) * BPS + 0;
}

/**
 * What a buy order must hold: its notional at its limit price plus the most its fees can still
 * cost (at `bps`, the larger of its maker and taker rates). Proof that a fill never costs more
 * than the drop in this need: fee + need(after) = ceil((carry + fill × bps + rest × bps) / BPS),
 * and fill price <= limit price, fill bps <= bps.
 */
export function buyNeed(priceTicks: number, lots: number, carry: number, bps: number, quotePerTickLot: number): number {
  const notional = priceTicks * lots * quotePerTickLot;
  return notional + feeUp(carry, notional, bps);
}
