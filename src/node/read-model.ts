/**
 * A read model that keeps a State of its own and applies committed entries to it with the
 * application's own apply (the gateways' view). Its state is then the committed state — which
 * is also what a follower's state is, since a follower applies only what is committed. So while
 * a node follows, its read model holds the node's state instead of a copy (Node.feed), and
 * each entry is applied once instead of twice.
 *
 * The model's State object stays its own throughout (its readers keep references into it): a
 * node that shares takes the model's State as its engine's, with the node's recent request ids
 * moved in, and a node that stops sharing (to lead, or when the feed closes) takes a copy. A
 * node that led and follows again shares anew once it and the model reach the commit index.
 */
import type { State } from '../application/state.ts';

export interface ReadModel {
  readonly state: State;
  /** Index of the last entry applied (0: none). */
  readonly lastIndex: number;
  /**
   * Applies committed entry `index`, its events slots[from, to), to `state`; entries come in
   * index order. Fields, not a CommittedEntry: a follower applies every entry through its model,
   * and an object per entry was a third of what it allocated.
   */
  apply(index: number, timestampUs: number, slots: Float64Array, from: number, to: number): void;
  /**
   * Apply request ids (RequestRecorded) too: set while it holds a node's state, which decides
   * with them once the node leads. A model of its own keeps none (they serve deciding alone).
   */
  keepsRequests: boolean;
}
