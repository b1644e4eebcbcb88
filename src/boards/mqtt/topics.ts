/** MQTT topic layout of wire protocol v1 (docs/protocol.md); the names come from wire.ts. */
import { WIRE } from '../protocol/wire.js';

export const TOPIC_ROOT = WIRE.topicRoot;
export const upTopic = (id: string) => `${TOPIC_ROOT}/${id}/${WIRE.up}`;
export const downTopic = (id: string) => `${TOPIC_ROOT}/${id}/${WIRE.down}`;
export const statusTopic = (id: string) => `${TOPIC_ROOT}/${id}/${WIRE.status}`;

/** `wharf/<id>/<leaf>` → {id, leaf}, or undefined for any other topic. */
export function parseTopic(topic: string): { id: string; leaf: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT || parts[1] === '') return undefined;
  return { id: parts[1]!, leaf: parts[2]! };
}

/** A board id usable as one topic level: no wildcards, separators or control characters. */
export function validBoardTopicId(id: string): boolean {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  return id.length > 0 && id.length <= 64 && !/[/+#\u0000-\u001f]/.test(id);
}
