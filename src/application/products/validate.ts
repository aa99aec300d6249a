/**
 * Product rules, shared by `decide` (which rejects with INVALID_PRODUCT) and by the admin edge
 * (which shows the sentence). A product is valid only if every price × quantity it can trade
 * is a whole number of quote units and every quantity a whole number of base units: no
 * rounding of money anywhere but in fees.
 */
import type { Assets } from '../accounts/assets.ts';
import { isValidName } from '../layout.ts';
import { LIMITS, MAX_SAFE } from '../limits.ts';
import type { ProductSpec, ProductTerms } from './product.ts';
import { ProductStatus } from './status.ts';

export interface Conversions {
  quotePerTickLot: number;
  basePerLot: number;
}

function inRange(v: number, lo: number, hi: number): boolean {
  return Number.isSafeInteger(v) && v >= lo && v <= hi;
}

/** Why these terms are invalid, or undefined. */
export function termsProblem(t: ProductTerms, lotSize: number, basePerLot: number): string | undefined {
  if (!inRange(t.minQty, 0, MAX_SAFE)) return 'minQty must be >= 0';
  if (!inRange(t.maxQty, Math.max(t.minQty, lotSize), MAX_SAFE)) return 'maxQty must be >= minQty and >= lotSize';
  if (!Number.isSafeInteger(Math.floor(t.maxQty / lotSize) * basePerLot)) return 'maxQty is too large for the base asset';
  if (!inRange(t.minNotional, 0, MAX_SAFE)) return 'minNotional must be >= 0';
  if (!inRange(t.takerBps, 0, LIMITS.feeBps)) return `takerBps must be within 0..${LIMITS.feeBps}`;
  if (!inRange(t.makerBps, -t.takerBps, t.takerBps)) {
    return 'makerBps must be within -takerBps..takerBps (a rebate never exceeds the taker fee)';
  }
  if (!inRange(t.protectionTicks, 0, MAX_SAFE)) return 'protectionTicks must be >= 0';
  if (t.status !== ProductStatus.Trading && t.status !== ProductStatus.Halted && t.status !== ProductStatus.Closed) {
    return 'status must be trading (1), halted (2) or closed (3)';
  }
  return undefined;
}

/** The integer conversions of a product, or the reason it has none. */
export function conversions(spec: ProductSpec, assets: Assets): Conversions | string {
  if (!isValidName(spec.symbol)) return 'symbol must be 1 to 24 printable ASCII characters';
  const base = assets.get(spec.base);
  const quote = assets.get(spec.quote);
  if (base === undefined || quote === undefined) return 'base and quote must be existing assets';
  if (base === quote) return 'base and quote must differ';
  if (!inRange(spec.priceScale, 0, LIMITS.scale)) return `priceScale must be within 0..${LIMITS.scale}`;
  if (!inRange(spec.qtyScale, 0, base.scale)) return 'qtyScale must be within 0..(base asset scale)';
  if (!inRange(spec.tickSize, 1, MAX_SAFE)) return 'tickSize must be >= 1';
  if (!inRange(spec.lotSize, 1, MAX_SAFE)) return 'lotSize must be >= 1';
  // Exact big-integer arithmetic: this runs once per product, never per order.
  const ten = (n: number): bigint => 10n ** BigInt(n);
  const numerator = BigInt(spec.tickSize) * BigInt(spec.lotSize) * ten(quote.scale);
  const denominator = ten(spec.priceScale + spec.qtyScale);
  if (numerator % denominator !== 0n) {
    return 'tickSize × lotSize must be a whole number of quote units (raise them or the quote asset scale)';
  }
  const quotePerTickLot = numerator / denominator;
  const basePerLot = BigInt(spec.lotSize) * ten(base.scale - spec.qtyScale);
  if (quotePerTickLot > BigInt(MAX_SAFE) || basePerLot > BigInt(MAX_SAFE)) return 'tick or lot size is too large';
  return { quotePerTickLot: Number(quotePerTickLot), basePerLot: Number(basePerLot) };
}

/** Why a new product is invalid, or its conversions. */
export function checkProduct(spec: ProductSpec, assets: Assets): Conversions | string {
  const c = conversions(spec, assets);
  if (typeof c === 'string') return c;
  return termsProblem(spec, spec.lotSize, c.basePerLot) ?? c;
}
