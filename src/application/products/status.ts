export const ProductStatus = { Trading: 1, Halted: 2, Closed: 3 } as const;
export type ProductStatus = (typeof ProductStatus)[keyof typeof ProductStatus];
