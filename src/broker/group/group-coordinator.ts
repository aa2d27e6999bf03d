/**
 * The group coordinator of a single-node broker: JoinGroup / SyncGroup /
 * Heartbeat / LeaveGroup with generations, session timeouts (running in every
 * state) and rebalances among any number of members, plus offset commit rules.
 * Requests that must wait (a JoinGroup during the join phase, a follower's
 * SyncGroup before the leader's) return promises that resolve later.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log/logger.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ConsumerGroup, type GroupMember, type JoinResult, type SyncResult } from './consumer-group.js';
import type { OffsetStore } from './offset-store.js';

export interface JoinRequestInput {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  clientId: string;
  clientHost: string;
}

export interface CoordinatorOptions {
  /** How long the first join into an empty group waits for more members (Kafka: 3000 ms). */
  initialRebalanceDelayMs: number;
}

const EMPTY = Buffer.alloc(0);

function joinError(error: number, memberId: string): JoinResult {
  return { error, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();

  constructor(private readonly offsets: OffsetStore, private readonly opts: CoordinatorOptions, private readonly logger: Logger) {}

  private group(groupId: string, create: boolean): ConsumerGroup | undefined {
    let g = this.groups.get(groupId);
    if (!g && create) {
      g = new ConsumerGroup(groupId);
      this.groups.set(groupId, g);
    }
    return g;
  }

  join(req: JoinRequestInput): Promise<JoinResult> {
    if (req.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
    const g = this.group(req.groupId, true)!;
    if (g.members.size > 0) {
      if (req.protocolType !== g.protocolType || g.commonProtocols(req.protocols).length === 0) {
        return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
      }
    }
    let member: GroupMember | undefined;
    if (req.memberId === '') {
      member = {
        memberId: `${req.clientId}-${randomUUID()}`,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        assignment: EMPTY,
        joinWaiter: null,
        syncWaiter: null,
        sessionTimer: null,
      };
      g.members.set(member.memberId, member);
      if (g.leaderId === '' || !g.members.has(g.leaderId)) g.leaderId = member.memberId;
      this.logger.debug('broker: member joined', { group: g.groupId, member: member.memberId });
    } else {
      member = g.members.get(req.memberId);
      if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
      member.protocols = req.protocols;
      member.sessionTimeoutMs = req.sessionTimeoutMs;
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    }
    g.protocolType = req.protocolType;
    this.touch(g, member);
    const m = member;
    return new Promise<JoinResult>((resolve) => {
      if (m.joinWaiter) m.joinWaiter(joinError(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
      m.joinWaiter = resolve;
      if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g);
      else this.prepareRebalance(g);
    });
  }

  private prepareRebalance(g: ConsumerGroup): void {
    if (g.state === 'CompletingRebalance') {
      for (const m of g.members.values()) {
        if (m.syncWaiter) {
          m.syncWaiter({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
          m.syncWaiter = null;
        }
      }
    }
    const wasEmpty = g.state === 'Empty';
    g.state = 'PreparingRebalance';
    if (g.joinTimer) clearTimeout(g.joinTimer);
    const rebalanceTimeout = Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    g.initialDelay = wasEmpty && this.opts.initialRebalanceDelayMs > 0;
    const delay = g.initialDelay ? this.opts.initialRebalanceDelayMs : rebalanceTimeout;
    g.joinTimer = setTimeout(() => {
      g.joinTimer = null;
      g.initialDelay = false;
      this.completeJoin(g);
    }, delay);
    g.joinTimer.unref();
    this.maybeCompleteJoin(g);
  }

  private maybeCompleteJoin(g: ConsumerGroup): void {
    if (g.state !== 'PreparingRebalance' || g.initialDelay) return;
    for (const m of g.members.values()) if (!m.joinWaiter) return;
    this.completeJoin(g);
  }

  private completeJoin(g: ConsumerGroup): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.joinTimer) {
      clearTimeout(g.joinTimer);
      g.joinTimer = null;
    }
    for (const m of [...g.members.values()]) {
      if (!m.joinWaiter) this.removeMember(g, m, 'did not rejoin before the rebalance timeout');
    }
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.generationId += 1;
      return;
    }
    g.generationId += 1;
    if (!g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value!;
    const leader = g.members.get(g.leaderId)!;
    g.protocolName = g.commonProtocols(leader.protocols)[0] ?? '';
    g.state = 'CompletingRebalance';
    const all = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
    }));
    this.logger.info('broker: group rebalanced', { group: g.groupId, generation: g.generationId, members: g.members.size });
    for (const m of g.members.values()) {
      const waiter = m.joinWaiter!;
      m.joinWaiter = null;
      this.touch(g, m);
      waiter({
        error: ErrorCode.NONE,
        generationId: g.generationId,
        protocolName: g.protocolName,
        leader: g.leaderId,
        memberId: m.memberId,
        members: m.memberId === g.leaderId ? all : [],
      });
    }
  }

  sync(groupId: string, generationId: number, memberId: string, assignments: Array<{ memberId: string; assignment: Buffer }>): Promise<SyncResult> {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return Promise.resolve({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (generationId !== g.generationId) return Promise.resolve({ error: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY });
    this.touch(g, m);
    switch (g.state) {
      case 'PreparingRebalance':
        return Promise.resolve({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      case 'Stable':
        return Promise.resolve({ error: ErrorCode.NONE, assignment: m.assignment });
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          m.syncWaiter = resolve;
          if (memberId !== g.leaderId) return;
          const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
          g.state = 'Stable';
          for (const member of g.members.values()) {
            member.assignment = byMember.get(member.memberId) ?? EMPTY;
            const w = member.syncWaiter;
            member.syncWaiter = null;
            w?.({ error: ErrorCode.NONE, assignment: member.assignment });
          }
        });
      default:
        return Promise.resolve({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    }
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(g, m);
    if (g.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') return ErrorCode.NONE;
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }

  leave(groupId: string, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(g, m, 'left the group');
    this.afterMemberRemoved(g);
    return ErrorCode.NONE;
  }

  private afterMemberRemoved(g: ConsumerGroup): void {
    if (g.members.size === 0) {
      if (g.joinTimer) clearTimeout(g.joinTimer);
      g.joinTimer = null;
      g.state = 'Empty';
      g.leaderId = '';
      return;
    }
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.prepareRebalance(g);
    else if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g);
  }

  private removeMember(g: ConsumerGroup, m: GroupMember, reason: string): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    m.sessionTimer = null;
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncWaiter?.({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    m.joinWaiter = null;
    m.syncWaiter = null;
    g.members.delete(m.memberId);
    this.logger.info('broker: member removed', { group: g.groupId, member: m.memberId, reason });
  }

  /** Restarts a member's session deadline. */
  private touch(g: ConsumerGroup, m: GroupMember): void {
    if (m.sessionTimer) {
      m.sessionTimer.refresh();
      return;
    }
    m.sessionTimer = setTimeout(() => {
      m.sessionTimer = null;
      if (g.members.get(m.memberId) !== m) return;
      this.removeMember(g, m, `session timeout ${m.sessionTimeoutMs} ms expired`);
      this.afterMemberRemoved(g);
    }, m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  /** Validates an OffsetCommit (Kafka's validateOffsetCommit); returns the group-level error or 0. */
  validateCommit(groupId: string, generationId: number, memberId: string): number {
    const g = this.groups.get(groupId);
    if (generationId < 0 && memberId === '') {
      if (g && g.members.size > 0) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.group(groupId, true);
      return ErrorCode.NONE;
    }
    if (!g) return ErrorCode.ILLEGAL_GENERATION;
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(g, m);
    return ErrorCode.NONE;
  }

  commit(groupId: string, topic: string, partition: number, offset: bigint, metadata: string | null): void {
    this.offsets.commit(groupId, topic, partition, offset, metadata);
  }

  committed(groupId: string, topic: string, partition: number): { offset: bigint; metadata: string } | undefined {
    return this.offsets.get(groupId, topic, partition);
  }

  committedAll(groupId: string): Array<{ topic: string; partition: number }> {
    return this.offsets.all(groupId);
  }

  dropTopic(topic: string): void {
    this.offsets.dropTopic(topic);
  }

  describe(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Every group with members or committed offsets. */
  list(): Array<{ groupId: string; protocolType: string }> {
    const live = [...this.groups.values()].filter((g) => g.members.size > 0).map((g) => g.groupId);
    const ids = new Set([...live, ...this.offsets.groupIds()]);
    return [...ids].sort().map((id) => ({ groupId: id, protocolType: this.groups.get(id)?.protocolType || 'consumer' }));
  }

  close(): void {
    for (const g of this.groups.values()) {
      if (g.joinTimer) clearTimeout(g.joinTimer);
      for (const m of g.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    }
    this.groups.clear();
    this.offsets.close();
  }
}
