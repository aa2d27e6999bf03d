/**
 * The state of one consumer group and its members (Kafka's GroupMetadata /
 * MemberMetadata). Behaviour lives in GroupCoordinator; this file is data.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinResult {
  error: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface SyncResult {
  error: number;
  assignment: Buffer;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  joinWaiter: ((r: JoinResult) => void) | null;
  syncWaiter: ((r: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

export class ConsumerGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType = '';
  protocolName = '';
  leaderId = '';
  readonly members = new Map<string, GroupMember>();
  joinTimer: NodeJS.Timeout | null = null;
  /** True while the first join into an Empty group waits to gather members. */
  initialDelay = false;

  constructor(readonly groupId: string) {}

  /** Protocols every member supports, in the order of `preferred`. */
  commonProtocols(preferred: Array<{ name: string }>): string[] {
    return preferred.map((p) => p.name).filter((name) => [...this.members.values()].every((m) => m.protocols.some((x) => x.name === name)));
  }
}
