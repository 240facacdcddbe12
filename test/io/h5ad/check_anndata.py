"""Read an h5ad written by scmix with Python anndata and print what anndata sees as JSON.
Used by anndataInterop.test.ts; run with /usr/bin/python3 (Debian python3-anndata)."""
import json
import sys

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp


def col(s):
    d = {"dtype": str(s.dtype)}
    if isinstance(s.dtype, pd.CategoricalDtype):
        d.update(codes=s.cat.codes.astype(int).tolist(), categories=[str(c) for c in s.cat.categories], ordered=bool(s.cat.ordered))
    else:
        d["values"] = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in s]
    return d


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, np.ndarray):
        return {"ndarray": str(v.dtype), "values": v.tolist()}
    if isinstance(v, np.generic):
        return {"scalar": str(v.dtype), "value": v.item()}
    return v


a = ad.read_h5ad(sys.argv[1])
out = {
    "version": ad.__version__,
    "X": {"type": type(a.X).__name__, "dtype": str(a.X.dtype), "indptr": str(a.X.indptr.dtype), "dense": a.X.toarray().tolist()},
    "obs_names": list(a.obs_names), "var_names": list(a.var_names),
    "obs": {c: col(a.obs[c]) for c in a.obs.columns}, "var": {c: col(a.var[c]) for c in a.var.columns},
    "layers": {k: {"sparse": sp.issparse(v), "dtype": str(v.dtype), "dense": (v.toarray() if sp.issparse(v) else np.asarray(v)).tolist()} for k, v in a.layers.items()},
    "obsm": {k: {"dtype": str(v.dtype), "values": np.asarray(v).tolist()} for k, v in a.obsm.items()},
    "varm": {k: {"dtype": str(v.dtype), "values": np.asarray(v).tolist()} for k, v in a.varm.items()},
    "uns": plain(dict(a.uns)),
    "raw": None if a.raw is None else {"dense": a.raw.X.toarray().tolist(), "var_names": list(a.raw.var_names)},
}
# backed mode (h5py-level partial reads of the sparse X) must give the same rows.
b = ad.read_h5ad(sys.argv[1], backed="r")
out["backed_rows_1_3"] = b.X[1:3].toarray().tolist() if a.n_obs >= 3 else None
b.file.close()
# anndata must also be able to write the object back out and re-read it.
a.write_h5ad(sys.argv[2])
ad.read_h5ad(sys.argv[2])
print(json.dumps(out, ensure_ascii=False))
