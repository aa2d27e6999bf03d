/**
 * Decodes one request frame, runs it against the broker and encodes the response
 * frame (size prefix, response header, body as one Buffer). Returns null when no
 * response is due (Produce with acks=0). Unsupported APIs and versions get an
 * error response rather than a disconnect.
 */
import { ApiKey, supportedRange } from '../protocol/api-keys.js';
import { decodeApiVersionsRequest, encodeApiVersionsResponse, encodeApiVersionsUnsupported } from '../protocol/apis/api-versions.js';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../protocol/apis/create-topics.js';
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from '../protocol/apis/delete-topics.js';
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse, type DescribedGroup } from '../protocol/apis/describe-groups.js';
import { decodeFetchRequest, encodeFetchResponse } from '../protocol/apis/fetch.js';
import { decodeFindCoordinatorRequest, encodeFindCoordinatorResponse } from '../protocol/apis/find-coordinator.js';
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from '../protocol/apis/heartbeat.js';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse } from '../protocol/apis/init-producer-id.js';
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from '../protocol/apis/join-group.js';
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from '../protocol/apis/leave-group.js';
import { encodeListGroupsResponse } from '../protocol/apis/list-groups.js';
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from '../protocol/apis/list-offsets.js';
import { decodeMetadataRequest, encodeMetadataResponse } from '../protocol/apis/metadata.js';
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from '../protocol/apis/offset-commit.js';
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from '../protocol/apis/offset-fetch.js';
import { decodeProduceRequest, encodeProduceResponse } from '../protocol/apis/produce.js';
import { encodeSaslHandshakeRefusal } from '../protocol/apis/sasl-handshake.js';
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from '../protocol/apis/sync-group.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { readClientId, readHeaderPrefix } from '../protocol/request-header.js';
import { isLegalTopicName } from '../storage/topic-manager.js';
import type { BrokerContext } from './broker-context.js';
import { handleFetch } from './fetch-handler.js';
import { handleProduce } from './produce-handler.js';

export interface ConnectionInfo {
  remoteHost: string;
}

const EMPTY = Buffer.alloc(0);

function startResponse(correlationId: number, sizeHint = 128): Writer {
  return new Writer(sizeHint).int32(0).int32(correlationId);
}

function finish(w: Writer): Buffer {
  const buf = w.finish();
  buf.writeInt32BE(buf.length - 4, 0);
  return buf;
}

export class RequestRouter {
  constructor(private readonly ctx: BrokerContext) {}

  /** The response frame (several buffers to write in order for Fetch), or null when none is due (acks=0). */
  async handle(frame: Buffer, conn: ConnectionInfo): Promise<Buffer | Buffer[] | null> {
    const r = new Reader(frame);
    const { apiKey, apiVersion: v, correlationId } = readHeaderPrefix(r);
    const range = supportedRange(apiKey);
    if (apiKey === ApiKey.ApiVersions && (range === undefined || v > range.max)) {
      const w = startResponse(correlationId);
      encodeApiVersionsUnsupported(w);
      return finish(w);
    }
    const clientId = readClientId(r, apiKey, range === undefined ? 0 : v) ?? '';
    if (apiKey === ApiKey.SaslHandshake) {
      this.ctx.logger.warn('broker: SASL requested but this listener is PLAINTEXT', { clientId });
      const w = startResponse(correlationId);
      encodeSaslHandshakeRefusal(w);
      return finish(w);
    }
    if (range === undefined || v < range.min || v > range.max) {
      this.ctx.logger.warn('broker: unsupported API or version', { apiKey, apiVersion: v, clientId });
      const w = startResponse(correlationId);
      w.int16(ErrorCode.UNSUPPORTED_VERSION);
      return finish(w);
    }
    const ctx = this.ctx;
    const w = startResponse(correlationId);
    switch (apiKey) {
      case ApiKey.ApiVersions:
        decodeApiVersionsRequest(r, v);
        encodeApiVersionsResponse(w, v);
        break;
      case ApiKey.Metadata: {
        const req = decodeMetadataRequest(r, v);
        encodeMetadataResponse(w, v, { broker: ctx.node, clusterId: ctx.settings.clusterId, topics: this.metadataTopics(req.topics, req.allowAutoTopicCreation) });
        break;
      }
      case ApiKey.Produce: {
        const req = decodeProduceRequest(r, v);
        const res = await handleProduce(ctx, req);
        if (req.acks === 0) return null;
        encodeProduceResponse(w, v, res);
        break;
      }
      case ApiKey.Fetch: {
        const req = decodeFetchRequest(r, v);
        const res = await handleFetch(ctx, req);
        let size = 128;
        for (const t of res) size += 64 + t.topic.length + t.partitions.length * 64;
        const w2 = startResponse(correlationId, size);
        encodeFetchResponse(w2, v, res);
        // Record bytes read from the log are written to the socket as they are, not copied into the response.
        const parts = w2.finishParts();
        parts[0]!.writeInt32BE(w2.totalLength - 4, 0);
        return parts;
      }
      case ApiKey.ListOffsets: {
        const req = decodeListOffsetsRequest(r, v);
        encodeListOffsetsResponse(
          w,
          v,
          req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              const log = ctx.topics.partition(t.name, p.index);
              if (!log) return { index: p.index, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n };
              const offset = p.timestamp === -1n ? log.highWatermark : p.timestamp === -2n ? log.logStartOffset : (log.offsetForTimestamp(p.timestamp) ?? -1n);
              return { index: p.index, error: ErrorCode.NONE, timestamp: -1n, offset };
            }),
          })),
        );
        break;
      }
      case ApiKey.FindCoordinator:
        decodeFindCoordinatorRequest(r, v);
        encodeFindCoordinatorResponse(w, v, ctx.node);
        break;
      case ApiKey.JoinGroup: {
        const req = decodeJoinGroupRequest(r, v);
        const res = await ctx.groups.join({ ...req, clientId, clientHost: `/${conn.remoteHost}` });
        encodeJoinGroupResponse(w, v, res);
        break;
      }
      case ApiKey.SyncGroup: {
        const req = decodeSyncGroupRequest(r);
        encodeSyncGroupResponse(w, v, await ctx.groups.sync(req.groupId, req.generationId, req.memberId, req.assignments));
        break;
      }
      case ApiKey.Heartbeat: {
        const req = decodeHeartbeatRequest(r);
        encodeHeartbeatResponse(w, v, ctx.groups.heartbeat(req.groupId, req.generationId, req.memberId));
        break;
      }
      case ApiKey.LeaveGroup: {
        const req = decodeLeaveGroupRequest(r);
        encodeLeaveGroupResponse(w, v, ctx.groups.leave(req.groupId, req.memberId));
        break;
      }
      case ApiKey.OffsetCommit: {
        const req = decodeOffsetCommitRequest(r, v);
        const groupError = ctx.groups.validateCommit(req.groupId, req.generationId, req.memberId);
        encodeOffsetCommitResponse(
          w,
          v,
          req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              if (groupError !== ErrorCode.NONE) return { index: p.index, error: groupError };
              if (!ctx.topics.partition(t.name, p.index)) return { index: p.index, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
              ctx.groups.commit(req.groupId, t.name, p.index, p.offset, p.metadata);
              return { index: p.index, error: ErrorCode.NONE };
            }),
          })),
        );
        break;
      }
      case ApiKey.OffsetFetch: {
        const req = decodeOffsetFetchRequest(r);
        const topics = req.topics ?? Object.entries(this.committedByTopic(req.groupId)).map(([name, partitions]) => ({ name, partitions }));
        encodeOffsetFetchResponse(
          w,
          v,
          topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((index) => {
              const c = ctx.groups.committed(req.groupId, t.name, index);
              return { index, offset: c?.offset ?? -1n, metadata: c?.metadata ?? '', error: ErrorCode.NONE };
            }),
          })),
          ErrorCode.NONE,
        );
        break;
      }
      case ApiKey.DescribeGroups: {
        const ids = decodeDescribeGroupsRequest(r);
        encodeDescribeGroupsResponse(w, v, ids.map((id) => this.describeGroup(id)));
        break;
      }
      case ApiKey.ListGroups:
        encodeListGroupsResponse(w, v, ctx.groups.list());
        break;
      case ApiKey.CreateTopics: {
        const req = decodeCreateTopicsRequest(r, v);
        encodeCreateTopicsResponse(
          w,
          v,
          req.topics.map((t) => {
            if (!isLegalTopicName(t.name)) return { name: t.name, error: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `illegal topic name ${JSON.stringify(t.name)}` };
            if (ctx.topics.has(t.name)) return { name: t.name, error: ErrorCode.TOPIC_ALREADY_EXISTS, message: `topic ${t.name} already exists` };
            const n = t.numPartitions === -1 ? (t.assignments > 0 ? t.assignments : ctx.settings.defaultPartitions) : t.numPartitions;
            if (n <= 0) return { name: t.name, error: ErrorCode.INVALID_PARTITIONS, message: `invalid partition count ${t.numPartitions}` };
            if (t.replicationFactor > 1) return { name: t.name, error: ErrorCode.INVALID_REPLICATION_FACTOR, message: 'replication factor above 1 on a single-node broker' };
            if (!req.validateOnly) ctx.topics.create(t.name, n);
            return { name: t.name, error: ErrorCode.NONE, message: null };
          }),
        );
        break;
      }
      case ApiKey.DeleteTopics: {
        const names = decodeDeleteTopicsRequest(r);
        encodeDeleteTopicsResponse(
          w,
          v,
          names.map((name) => {
            if (!ctx.topics.delete(name)) return { name, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            ctx.producers.dropTopic(name);
            ctx.groups.dropTopic(name);
            return { name, error: ErrorCode.NONE };
          }),
        );
        break;
      }
      case ApiKey.InitProducerId: {
        const req = decodeInitProducerIdRequest(r);
        if (req.transactionalId !== null) {
          encodeInitProducerIdResponse(w, { error: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, epoch: -1 });
        } else {
          encodeInitProducerIdResponse(w, { error: ErrorCode.NONE, producerId: ctx.producerIds.allocate(), epoch: 0 });
        }
        break;
      }
      default:
        w.int16(ErrorCode.UNSUPPORTED_VERSION);
    }
    return finish(w);
  }

  private metadataTopics(requested: string[] | null, allowAutoCreate: boolean): Array<{ error: number; name: string; partitions: Array<{ error: number; index: number }> }> {
    const ctx = this.ctx;
    const names = requested ?? ctx.topics.names();
    return names.map((name) => {
      let logs = ctx.topics.partitions(name);
      if (!logs) {
        if (!isLegalTopicName(name)) return { error: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] };
        if (!(allowAutoCreate && ctx.settings.autoCreateTopics)) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
        logs = ctx.topics.create(name, ctx.settings.defaultPartitions);
      }
      return { error: ErrorCode.NONE, name, partitions: logs.map((_, index) => ({ error: ErrorCode.NONE, index })) };
    });
  }

  private committedByTopic(groupId: string): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const c of this.ctx.groups.committedAll(groupId)) (out[c.topic] ??= []).push(c.partition);
    return out;
  }

  private describeGroup(id: string): DescribedGroup {
    const g = this.ctx.groups.describe(id);
    if (!g) return { error: ErrorCode.NONE, groupId: id, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = g.state === 'Stable';
    return {
      error: ErrorCode.NONE,
      groupId: id,
      state: g.state,
      protocolType: g.protocolType,
      protocolData: stable ? g.protocolName : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }
}
