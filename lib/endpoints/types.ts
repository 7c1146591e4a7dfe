/**
 * Level of a point on the provincial dedicated network, one of the registry's `levels`: since July
 * 2025 `province` and `commune` (communes, wards and special zones); `district` in registries of the
 * old three-tier administration.
 */
export type EndpointLevel = string;

/**
 * One of the dedicated network's points, as held in config/endpoints.yaml. `parent` is the id of the
 * point it reaches the data center through (a commune's aggregation node, the provincial core); a
 * point without a parent hangs off the data center directly. `district` exists only in registries of
 * the old three-tier administration; a two-tier registry keeps a former district as
 * `tags.former_district`.
 */
export interface Endpoint {
  id: string;
  name: string;
  level: EndpointLevel;
  district?: string | undefined;
  parent?: string | undefined;
  address: string;
  lat?: number | undefined;
  lon?: number | undefined;
  tags?: Record<string, string> | undefined;
}

/** A registry: its levels from the top of the network down, and its endpoints. */
export interface Registry {
  levels: readonly EndpointLevel[];
  endpoints: Endpoint[];
  /** Availability % each level is held to (`sla_targets:`); levels left out take the defaults. */
  slaTargets?: Readonly<Record<EndpointLevel, number>> | undefined;
}
