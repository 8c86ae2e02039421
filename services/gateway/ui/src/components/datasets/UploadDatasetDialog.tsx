// "Upload dataset": pick a CSV or JSONL file, see its first rows, say which columns are the
// examples' input, output, metadata and splits, name the dataset, and send it. The server's
// refusal (a malformed line, a taken name) is shown in its own words; nothing is created then.
import { useEffect, useId, useState } from "react";
import type { FormEvent } from "react";

import {
  COLUMN_ROLES,
  fileKind,
  guessMapping,
  keyFields,
  PREVIEW_BYTES,
  previewText,
  suggestedName,
  uploadProblem,
} from "./filePreview";
import type { ColumnMapping, ColumnRole, FileKind, FilePreview } from "./filePreview";
import { uploadDataset } from "./uploadRequest";
import type { UploadAnswer } from "./uploadRequest";

const ROLE_LABELS: Record<ColumnRole, string> = {
  input: "Input",
  output: "Output",
  metadata: "Metadata",
  split: "Split",
  ignore: "Ignore",
};

interface ChosenFile {
  file: File;
  kind: FileKind;
  preview: FilePreview;
}

function PreviewTable({
  preview,
  mapping,
  onChange,
}: {
  preview: FilePreview;
  mapping: ColumnMapping;
  onChange: (column: string, role: ColumnRole) => void;
}) {
  return (
    <div className="upload-preview">
      <table className="data" data-testid="upload-preview">
        <thead>
          <tr>
            {preview.columns.map((column) => (
              <th key={column} scope="col">
                <div className="upload-column">
                  <span>{column}</span>
                  <select
                    aria-label={`Role of column ${column}`}
                    value={mapping[column]}
                    onChange={(event) => onChange(column, event.target.value as ColumnRole)}
                  >
                    {COLUMN_ROLES.map((role) => (
                      <option key={role} value={role}>
                        {ROLE_LABELS[role]}
                      </option>
                    ))}
                  </select>
                </div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, index) => (
            <tr key={index}>
              {row.map((cell, column) => (
                <td key={column} className="preview" title={cell}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        The first {preview.rows.length} rows of the file. Input, output and metadata columns
        become the keys of each example&apos;s objects; a split column names its splits.
      </p>
    </div>
  );
}

export function UploadDatasetDialog({
  onClose,
  onUploaded,
}: {
  onClose: () => void;
  onUploaded: (answer: UploadAnswer) => void;
}) {
  const titleId = useId();
  const [chosen, setChosen] = useState<ChosenFile | null>(null);
  const [mapping, setMapping] = useState<ColumnMapping>({});
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const uploading = progress !== null;

  useEffect(() => {
    const close = (event: KeyboardEvent) => {
      if (event.key === "Escape" && !uploading) onClose();
    };
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [onClose, uploading]);

  async function choose(file: File | undefined) {
    setChosen(null);
    setProblem(null);
    if (!file) return;
    const kind = fileKind(file.name);
    if (!kind) {
      setProblem("Choose a .csv or .jsonl file.");
      return;
    }
    const text = await file.slice(0, PREVIEW_BYTES).text();
    const result = previewText(kind, text, file.size <= PREVIEW_BYTES);
    if ("problem" in result) {
      setProblem(result.problem);
      return;
    }
    setChosen({ file, kind, preview: result.preview });
    setMapping(guessMapping(result.preview.columns));
    setName((current) => current || suggestedName(file.name));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!chosen) {
      setProblem("Choose a file to upload.");
      return;
    }
    const refusal = uploadProblem(name, chosen.preview.columns, mapping);
    if (refusal) {
      setProblem(refusal);
      return;
    }
    setProblem(null);
    setProgress(0);
    try {
      const answer = await uploadDataset(
        {
          name,
          description,
          file: chosen.file,
          kind: chosen.kind,
          keys: keyFields(chosen.preview.columns, mapping),
        },
        setProgress,
      );
      onUploaded(answer);
    } catch (error) {
      setProblem((error as Error).message);
      setProgress(null);
    }
  }

  return (
    <div className="dialog-backdrop">
      <form
        className="dialog panel upload-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onSubmit={(event) => void submit(event)}
      >
        <h2 id={titleId}>Upload a dataset</h2>
        <label className="field">
          CSV or JSONL file
          <input
            type="file"
            accept=".csv,.jsonl,.ndjson,text/csv,application/jsonl"
            disabled={uploading}
            onChange={(event) => void choose(event.target.files?.[0])}
          />
        </label>
        {chosen ? (
          <PreviewTable
            preview={chosen.preview}
            mapping={mapping}
            onChange={(column, role) => setMapping((current) => ({ ...current, [column]: role }))}
          />
        ) : null}
        <label className="field">
          Name
          <input
            type="text"
            value={name}
            disabled={uploading}
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <label className="field">
          Description
          <input
            type="text"
            value={description}
            placeholder="optional"
            disabled={uploading}
            onChange={(event) => setDescription(event.target.value)}
          />
        </label>
        {uploading ? (
          <div className="upload-progress">
            <progress max={1} value={progress} aria-label="Upload progress" />
            <span>
              {progress < 1 ? `Sending… ${Math.round(progress * 100)}%` : "Storing the examples…"}
            </span>
          </div>
        ) : null}
        {problem ? (
          <p className="form-problem" role="alert">
            {problem}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={onClose} disabled={uploading}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={uploading}>
            Upload
          </button>
        </div>
      </form>
    </div>
  );
}
