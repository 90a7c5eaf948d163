"""Prompt tokens per report: ``hybrid`` vs a naive baseline that sends the whole report and the whole schema in
one call.

hybrid: the prompt tokens the model actually counted, replayed from the cassettes (``cassettes/hybrid-…``).
naive: one request with every numeric code of the codebook as a field and the whole normalized report as text,
rendered with the same prompt version, tokenized by the embedded model's own tokenizer (llama.cpp ``/tokenize``)
when the model is on disk, else estimated from the tokens-per-character ratio measured on the hybrid requests.

    python bench/tokens.py [--prompt v1]
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from pathlib import Path

from extractor.codebook import numeric_codes
from extractor.documents import read_document
from extractor.fields import describe, key_of
from extractor.pipeline import process
from extractor.prompts import load_prompt
from extractor.replay import cassette_path, session

ROOT = Path(__file__).resolve().parents[1]
MODEL = "qwen2.5-coder-0.5b"


def naive_messages(text: str, prompt_version: str) -> str:
    prompt = load_prompt(prompt_version)
    codes = [c for c in numeric_codes() if not c.startswith("meta.")]
    fields = (
        "\n".join(f"- {key_of(c)}: {describe(c)}" for c in codes)
        + "\n- problems: 存在的主要问题\n- improvements: 改进措施"
    )
    return prompt.system + "\n" + prompt.render("unknown", fields=fields, text=text)


def tokenizer() -> object | None:
    from extractor.local_model import LocalServer, model_path

    path = model_path()
    if not path.is_file():
        return None
    server = LocalServer.shared(path, threads=2, context_size=2048)
    base = server.base_url.removesuffix("/v1")

    def count(text: str) -> int:
        req = urllib.request.Request(f"{base}/tokenize", data=json.dumps({"content": text}).encode(),
                                     headers={"content-type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=120) as resp:
            return len(json.load(resp)["tokens"])

    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompt", default="v1")
    args = ap.parse_args()
    config = f"hybrid-{MODEL}-{args.prompt}"
    count = tokenizer()
    rows = []
    for seed in sorted((ROOT / "eval" / "seeds").glob("*.txt")):
        cassette = cassette_path(ROOT / "cassettes", config, seed.stem)
        with session("hybrid", MODEL, args.prompt, cassette, mode="replay") as engine:
            record = process(seed, engine)
        sent = json.loads(cassette.read_text(encoding="utf-8"))["interactions"]
        hybrid_chars = sum(len(m["content"]) for i in sent for m in i["request"]["body"]["messages"])
        naive = naive_messages(read_document(seed).normalized, args.prompt)
        rows.append((seed.stem, record.usage.prompt_tokens, hybrid_chars, naive))
    if count is None:
        tokens, chars = sum(r[1] for r in rows), sum(r[2] for r in rows)
        per_char = tokens / chars if chars else 1.0
        print(f"(model absent: naive tokens estimated at {per_char:.3f} tokens/char, measured on hybrid requests)")
    total_h = total_n = 0
    print(f"{'report':24} {'hybrid':>8} {'naive':>8} {'naive/hybrid':>13}")
    for stem, hybrid_tokens, _, naive in rows:
        naive_tokens = count(naive) if callable(count) else round(len(naive) * per_char)
        total_h += hybrid_tokens
        total_n += naive_tokens
        ratio = naive_tokens / hybrid_tokens if hybrid_tokens else float("inf")
        print(f"{stem:24} {hybrid_tokens:8} {naive_tokens:8} {ratio:13.2f}")
    print(f"{'all seeds':24} {total_h:8} {total_n:8} {total_n / max(total_h, 1):13.2f}")


if __name__ == "__main__":
    main()
