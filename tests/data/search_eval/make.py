#!/usr/bin/env python3
"""Builds the search evaluation set from the real texts copied here.

records.tsv: key, lang, title, summary, body (one text of the communities'
records or one guide per line; newlines and tabs become spaces).
queries.tsv: form, lang, query, the keys of the records it must find
(comma-separated). A query's relevant records are those whose text holds
one of the words of its pattern (a regular expression over the folded
text: lowercase, no diacritics, ё as е), so the answer is computed, not
typed by hand. Run it after changing the texts or the queries:

    python3 tests/data/search_eval/make.py
"""
import glob, json, os, re, unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

def flat(s):
    return re.sub(r"\s+", " ", s or "").strip()

def fold(s):
    s = unicodedata.normalize("NFKC", s).casefold().replace("·l", "l")
    s = unicodedata.normalize("NFD", s)
    return "".join(c for c in s if unicodedata.category(c) != "Mn")

records = []
for path in sorted(glob.glob(os.path.join(HERE, "*.jsonl"))):
    name = os.path.basename(path)[:-6]
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        r = json.loads(line)
        for t in r.get("texts", []):
            records.append((f"{name}:{n}:{t['lang']}", t["lang"], flat(t.get("title")),
                            flat(t.get("summary")), flat(t.get("body"))))
for path in sorted(glob.glob(os.path.join(HERE, "guides", "*.txt"))):
    base = os.path.basename(path)[:-4]
    lang = base.rsplit(".", 1)[1]
    text = open(path, encoding="utf-8").read()
    lines = [l.strip(" *#") for l in text.splitlines() if l.strip(" *#")]
    title = next((l for l in lines if "xploit" in l.lower()), lines[0])
    records.append((f"guide:{base}", lang, flat(title), "", flat(text)))
# The one text not taken from the data: no record there has a Catalan l·l.
records.append(("extra:collectiu:ca", "ca", "Aprenentatge col·lectiu",
                "El treball col·lectiu de les entitats del municipi.", ""))

# form, lang, query, pattern of the relevant words (folded text)
QUERIES = [
    ("exact", "ca", "innovació", r"\binnovacio\b"),
    ("exact", "ru", "партнёрстве", r"\bпартнерстве\b"),
    ("exact", "hu", "közösség", r"\bkozosseg\b"),
    ("exact", "ro", "inovații", r"\binovatii\b"),
    ("exact", "pt", "ferramenta", r"\bferramenta\b"),
    ("exact", "it", "apprendimento", r"\bapprendimento\b"),
    ("exact", "en", "municipality", r"\bmunicipality\b"),
    ("case", "en", "MUNICIPALITY", r"\bmunicipality\b"),
    ("case", "ru", "СОТРУДНИЧЕСТВА", r"\bсотрудничества\b"),
    ("case", "hu", "Nagykovácsi", r"\bnagykovacsi\b"),
    ("folded", "ca", "historia", r"\bhistoria\b"),
    ("folded", "ca", "innovacio", r"\binnovacio\b"),
    ("folded", "hu", "kozosseg", r"\bkozosseg\b"),
    ("folded", "hu", "Nagykovacsi", r"\bnagykovacsi\b"),
    ("folded", "ro", "comunitatii", r"\bcomunitatii\b"),
    ("folded", "ro", "comunităţii", r"\bcomunitatii\b"),
    ("folded", "ro", "Romania", r"\bromania\b"),
    ("folded", "pt", "inovacao", r"\binovacao\b"),
    ("folded", "it", "comunita", r"\bcomunita\b"),
    ("folded", "ru", "партнерстве", r"\bпартнерстве\b"),
    ("folded", "ru", "идет", r"\bидет\b"),
    ("folded", "en", "evora", r"\bevora\b"),
    ("catalan", "ca", "collectiu", r"\bcollectiu\b"),
    ("catalan", "ca", "col·lectiu", r"\bcollectiu\b"),
    ("catalan", "ca", "col.lectiu", r"\bcollectiu\b"),
    ("stemmed", "en", "guide", r"\bguides?\b"),
    ("stemmed", "en", "platform", r"\bplatforms?\b"),
    ("stemmed", "en", "municipalities", r"\bmunicipality\b"),
    ("stemmed", "ro", "comunitățile", r"\bcomunitat(e|ea|ii|ilor|i)\b"),
    ("stemmed", "ro", "ghidul", r"\bghid(ul|ului)?\b"),
    ("stemmed", "hu", "közösségek", r"\bkozosseg(ek|i|et|ben|nek|ekben|ek)?\b"),
    ("stemmed", "hu", "eredmény", r"\beredmeny(e|ek|ei|einek)?\b"),
    ("stemmed", "ru", "сообщество", r"\bсообществ(о|а|е|ах|ам|ом|у)?\b"),
    ("stemmed", "ru", "сотрудничество", r"\bсотрудничеств(о|а|е|у|ом)\b"),
    ("stemmed", "pt", "ferramentas", r"\bferramentas?\b"),
    ("stemmed", "pt", "necessidade", r"\bnecessidades?\b"),
    ("stemmed", "it", "storie", r"\bstori[ae]\b"),
    ("stemmed", "ca", "comunitats", r"\bcomunitat(s)?\b"),
    ("translit", "ru", "sotrudnichestvo", r"\bсотрудничеств(о|а|е|у|ом)\b"),
    ("translit", "ru", "soobshchestvo", r"\bсообществ(о|а|е|ах|ам|ом|у)?\b"),
    ("translit", "ru", "partnerstve", r"\bпартнерстве\b"),
    ("translit", "ru", "rukovoditeley", r"\bруководител(еи|и|ям|ь)\b"),
    ("typo", "en", "lerning communty", r"\blearning\b.*|$^"),
    ("typo", "en", "Portgal", r"\bportugal\b"),
    ("typo", "en", "munciipality", r"\bmunicipality\b"),
    ("typo", "hu", "Nagykovasci", r"\bnagykovacsi\b"),
    ("typo", "ca", "Catalunia", r"\bcatalunya\b"),
    ("typo", "ro", "Romnia", r"\bromania\b"),
    ("typo", "pt", "ferramneta", r"\bferramenta\b"),
    ("typo", "it", "apprendimneto", r"\bapprendimento\b"),
    ("typo", "ru", "сотрудничиства", r"\bсотрудничества\b"),
    ("typo", "ca", "innovasio", r"\binnovacio\b"),
]

def text_of(r):
    return fold(" ".join(r[2:5]))

with open(os.path.join(HERE, "records.tsv"), "w", encoding="utf-8") as f:
    for r in records:
        f.write("\t".join(x.replace("\t", " ") for x in r) + "\n")
with open(os.path.join(HERE, "queries.tsv"), "w", encoding="utf-8") as f:
    for form, lang, q, pat in QUERIES:
        if form == "typo" and q.startswith("lerning"):
            keys = [r[0] for r in records
                    if re.search(r"\blearning\b", text_of(r)) and re.search(r"\bcommunity\b", text_of(r))]
        elif form == "stemmed":
            # A text is stemmed in its own language: a Hungarian word quoted
            # in an English text is matched by its forms only as typed.
            keys = [r[0] for r in records if r[1] == lang and re.search(pat, text_of(r))]
        else:
            keys = [r[0] for r in records if re.search(pat, text_of(r))]
        if not keys:
            raise SystemExit(f"query {q!r} has no relevant record")
        f.write(f"{form}\t{lang}\t{q}\t{','.join(keys)}\n")
