// A small badge per OpenInference span kind, so a tree reads at a glance.

const KINDS: Record<string, { letter: string; title: string }> = {
  LLM: { letter: "L", title: "LLM" },
  CHAIN: { letter: "C", title: "Chain" },
  TOOL: { letter: "T", title: "Tool" },
  RETRIEVER: { letter: "R", title: "Retriever" },
  EMBEDDING: { letter: "E", title: "Embedding" },
  AGENT: { letter: "A", title: "Agent" },
  RERANKER: { letter: "K", title: "Reranker" },
  GUARDRAIL: { letter: "G", title: "Guardrail" },
  EVALUATOR: { letter: "V", title: "Evaluator" },
  PROMPT: { letter: "P", title: "Prompt" },
};

export function SpanKindIcon({ kind }: { kind: string }) {
  const known = KINDS[kind.toUpperCase()];
  const className = `span-kind span-kind-${(known ? kind : "unknown").toLowerCase()}`;
  return (
    <span className={className} title={known?.title ?? kind} aria-label={known?.title ?? kind}>
      {known?.letter ?? "?"}
    </span>
  );
}
