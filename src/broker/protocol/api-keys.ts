/**
 * API keys and the version ranges this broker advertises. Each maximum is the
 * newest non-flexible version both kafkajs 2.2.4 and librdkafka 2.0.x implement
 * without features this broker lacks (fetch sessions, leader epochs, static
 * membership); every minimum is 0 so librdkafka enables all its features.
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
} as const;
export type ApiKeyValue = (typeof ApiKey)[keyof typeof ApiKey];

export interface VersionRange {
  apiKey: number;
  min: number;
  max: number;
}

/** What ApiVersions advertises. Implemented versions per API are listed in each apis/ file. */
export const SUPPORTED_APIS: readonly VersionRange[] = [
  { apiKey: ApiKey.Produce, min: 0, max: 7 },
  { apiKey: ApiKey.Fetch, min: 0, max: 6 },
  { apiKey: ApiKey.ListOffsets, min: 0, max: 2 },
  { apiKey: ApiKey.Metadata, min: 0, max: 4 },
  { apiKey: ApiKey.OffsetCommit, min: 0, max: 5 },
  { apiKey: ApiKey.OffsetFetch, min: 0, max: 4 },
  { apiKey: ApiKey.FindCoordinator, min: 0, max: 2 },
  { apiKey: ApiKey.JoinGroup, min: 0, max: 3 },
  { apiKey: ApiKey.Heartbeat, min: 0, max: 2 },
  { apiKey: ApiKey.LeaveGroup, min: 0, max: 1 },
  { apiKey: ApiKey.SyncGroup, min: 0, max: 2 },
  { apiKey: ApiKey.DescribeGroups, min: 0, max: 2 },
  { apiKey: ApiKey.ListGroups, min: 0, max: 2 },
  { apiKey: ApiKey.ApiVersions, min: 0, max: 3 },
  { apiKey: ApiKey.CreateTopics, min: 0, max: 3 },
  { apiKey: ApiKey.DeleteTopics, min: 0, max: 1 },
  { apiKey: ApiKey.InitProducerId, min: 0, max: 1 },
];

const BY_KEY = new Map(SUPPORTED_APIS.map((r) => [r.apiKey, r]));

export function supportedRange(apiKey: number): VersionRange | undefined {
  return BY_KEY.get(apiKey);
}

/** Only ApiVersions v3 is flexible among the advertised versions. */
export function isFlexibleRequest(apiKey: number, version: number): boolean {
  return apiKey === ApiKey.ApiVersions && version >= 3;
}
