/**
 * What the steps of resolveDocument share: the options, the plan being built (boards, entries,
 * off methods, cameras, sensors) and the board-id registry that keeps board ids unique.
 */
import type { cameraAddressOf } from './cameras.js';
import type { BoardSpec, CameraSpec, OffMethod, PlanEntry, SensorSpec } from './plan.js';
import type { IssueList } from './issues.js';
import type { RemoteConfig } from './schema.js';
import type { PathContext } from './settings.js';
import type { KnownComponent } from './components.js';
import type { EntryContext } from './methods.js';

export interface ResolveOptions {
  /** Path of the config file (relative paths in it are resolved against its directory). */
  sourcePath: string;
  env: NodeJS.ProcessEnv;
  hostname: string;
  /** Reads a part_config file (absolute path). Throws on failure. */
  readPart: (absPath: string) => string;
}

export interface RemoteInfo {
  index: number;
  cfg: RemoteConfig;
  path: string;
  /** Known components, or undefined when the config says nothing about the remote's hardware. */
  components: KnownComponent[] | undefined;
  spec: BoardSpec;
  /** The remote's address is itself a camera source (an IP camera URL, another wharf gateway). */
  camAt?: ReturnType<typeof cameraAddressOf>;
}

/** The plan under construction, filled in by the resolve steps in order. */
export interface ResolveState {
  issues: IssueList;
  opts: ResolveOptions;
  pctx: PathContext;
  boards: BoardSpec[];
  entries: PlanEntry[];
  off: OffMethod[];
  cameras: CameraSpec[];
  sensors: SensorSpec[];
  ectx: EntryContext;
  /** Records board id `id` (declared at `p`); false (and an error) when it is already used. */
  claimBoardId(id: string, p: string): boolean;
  /** Adds a built entry (undefined = off or broken: nothing to add). */
  push(e: PlanEntry | undefined): void;
}

export function newResolveState(
  issues: IssueList,
  opts: ResolveOptions,
  pctx: PathContext,
  serviceTags: readonly string[],
): ResolveState {
  const boardIds = new Map<string, string>();
  const entries: PlanEntry[] = [];
  const off: OffMethod[] = [];
  return {
    issues,
    opts,
    pctx,
    boards: [],
    entries,
    off,
    cameras: [],
    sensors: [],
    ectx: { issues, serviceTags, used: new Map(), off },
    claimBoardId(id, p) {
      const prev = boardIds.get(id);
      if (prev !== undefined) {
        issues.error(
          p,
          `board id "${id}" is used twice (also by ${prev})`,
          'remote names and local board component names must all be different',
        );
        return false;
      }
      boardIds.set(id, p);
      return true;
    },
    push(e) {
      if (e !== undefined) entries.push(e);
    },
  };
}
