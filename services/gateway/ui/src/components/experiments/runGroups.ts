// The comparison's runs as the server sends them: `ExperimentComparison.repeatedRunGroupsJson`,
// one JSON value holding what `repeatedRunGroups` holds, with the same names (graphql-core never
// visits its fields, which keeps a page of 50 examples of 8 experiments fast). These types
// mirror `ExperimentRepeatedRunGroup` and its runs in the schema.
import type { BaselineComparison } from "../../gql/graphql";

export interface CostBreakdown {
  tokens: number | null;
  cost: number | null;
}

export interface CostSummary {
  prompt: CostBreakdown;
  completion: CostBreakdown;
  total: CostBreakdown;
}

export interface RunEvaluation {
  id: string;
  name: string;
  annotatorKind: string;
  label: string | null;
  score: number | null;
  explanation: string | null;
  error: string | null;
  traceId: string | null;
}

export interface ComparedRun {
  id: string;
  experimentId: string;
  repetitionNumber: number;
  traceId: string | null;
  output: unknown;
  error: string | null;
  startTime: string;
  endTime: string;
  latencyMs: number;
  costSummary: CostSummary;
  annotations: RunEvaluation[];
}

export interface GroupScore {
  annotationName: string;
  meanScore: number | null;
  baselineDelta: number | null;
  comparison: BaselineComparison | null;
}

export interface RunGroup {
  experimentId: string;
  isBaseline: boolean;
  averageLatencyMs: number | null;
  errorCount: number;
  costSummary: CostSummary;
  annotationSummaries: GroupScore[];
  runs: ComparedRun[];
}

/** The groups of one comparison row (the server's JSON, typed). */
export function runGroups(value: unknown): RunGroup[] {
  return Array.isArray(value) ? (value as RunGroup[]) : [];
}
