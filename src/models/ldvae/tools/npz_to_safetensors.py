#!/usr/bin/env python3
"""Convert shared/reference/ldvae_ref.py's weights.npz (scvi-tools LDVAE state_dict keys +
var_names) to safetensors that scmix loads with loadReferenceWeights(). Needs numpy only.

  /usr/bin/python3 src/models/ldvae/tools/npz_to_safetensors.py run1/weights.npz run1/weights.safetensors
"""
import json
import struct
import sys

import numpy as np


def main(src, dst):
    # var_names is saved as an object array (pickled) by ldvae_ref.py; only load files you trust
    z = np.load(src, allow_pickle=True)
    header, blobs, off = {}, [], 0
    var_names = [str(v) for v in z["var_names"]]
    for k in sorted(z.files):
        if k == "var_names":
            continue
        a = np.ascontiguousarray(z[k])
        if a.dtype == np.int64:
            dt = "I64"
        else:
            a, dt = a.astype("<f4"), "F32"
        b = a.tobytes()
        header[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"var_names": json.dumps(var_names), "source": src, "format": "pt"}
    hj = json.dumps(header).encode()
    hj += b" " * ((8 - (8 + len(hj)) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj + b"".join(blobs))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
