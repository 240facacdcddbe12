#!/usr/bin/python3
"""PyTorch peer for the embedding rows of `npm run bench -- tokenize`: Geneformer cell embeddings
(mean over real tokens of hidden_states[-2]) with the study's BERT config, plain PyTorch
(post-LN TransformerEncoder, ReLU, the same layout as ../shared/reference/bert_mlm_ref.py),
eval mode, no_grad; only the layers up to -2 run (the head is not needed for embeddings).

Usage: /usr/bin/python3 bench/embed_ref.py CELLS.json [--threads 2] [--batch 4] [--repeat 2]
CELLS.json: a list of token-id lists. Prints {cells, seconds (best), cells_per_s}.
"""
import argparse, json, os, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cells")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=25426)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    a = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    import torch.nn as nn
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cells = json.load(open(a.cells))
    word = nn.Embedding(a.vocab, a.hidden, padding_idx=0)
    pos = nn.Embedding(2048, a.hidden)
    typ = nn.Embedding(2, a.hidden)
    ln = nn.LayerNorm(a.hidden, eps=1e-12)
    layer = nn.TransformerEncoderLayer(a.hidden, a.heads, a.ffn, dropout=0.0, activation="relu", batch_first=True, norm_first=False, layer_norm_eps=1e-12)
    enc = nn.TransformerEncoder(layer, a.layers - 1, enable_nested_tensor=False).eval()  # hidden_states[-2]
    best = float("inf")
    with torch.no_grad():
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            order = sorted(range(len(cells)), key=lambda i: -len(cells[i]))
            for s in range(0, len(order), a.batch):
                rows = [cells[i] for i in order[s:s + a.batch]]
                T = max(len(r) for r in rows)
                ids = torch.zeros(len(rows), T, dtype=torch.long)
                for b, r in enumerate(rows):
                    ids[b, :len(r)] = torch.tensor(r)
                h = ln(word(ids) + pos(torch.arange(T)) + typ(torch.zeros_like(ids)))
                h = enc(h, src_key_padding_mask=(ids == 0))
                m = (ids != 0).unsqueeze(-1).float()
                emb = (h * m).sum(1) / m.sum(1)
            best = min(best, time.perf_counter() - t0)
    print(json.dumps({"cells": len(cells), "seconds": best, "cells_per_s": len(cells) / best}))


if __name__ == "__main__":
    main()
