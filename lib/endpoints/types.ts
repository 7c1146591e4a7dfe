/** Level of a point on the provincial dedicated network. */
export type EndpointLevel = 'province' | 'district' | 'commune';

/**
 * One of the dedicated network's points (the province has 166), as held in config/endpoints.yaml.
 * `parent` is the id of the point it reaches the data center through (a commune's district office,
 * a district's provincial core); a point without a parent hangs off the data center directly.
 */
export interface Endpoint {
  id: string;
  name: string;
  level: EndpointLevel;
  district: string;
  parent?: string | undefined;
  address: string;
  lat?: number | undefined;
  lon?: number | undefined;
  tags?: Record<string, string> | undefined;
}
