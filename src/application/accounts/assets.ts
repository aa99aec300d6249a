/** Assets: a code and a decimal scale each; ids count up from 1. Supply = deposits − withdrawals. */
export interface Asset {
  readonly id: number;
  readonly code: string;
  readonly scale: number;
  /** Units of the asset in the engine: what every balance of it sums to. */
  supply: number;
}

export class Assets {
  readonly list: Asset[] = [];
  private readonly byCode = new Map<string, Asset>();

  get count(): number {
    return this.list.length;
  }

  get(id: number): Asset | undefined {
    return id >= 1 ? this.list[id - 1] : undefined;
  }

  findCode(code: string): Asset | undefined {
    return this.byCode.get(code);
  }

  add(id: number, code: string, scale: number, supply = 0): Asset {
    const asset: Asset = { id, code, scale, supply };
    this.list.push(asset);
    this.byCode.set(code, asset);
    return asset;
  }
}
