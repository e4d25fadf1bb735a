#!/usr/bin/env python3
"""Deterministic generator of benchmark records for `tessera import`.

    gen_records.py N [--seed S] [--size BYTES] [-o FILE]
    gen_records.py --queries M [--seed S]

The first form writes N JSON Lines records (initiatives and resources) of
about BYTES bytes each (default 1024) in the import format:

    {"kind": ..., "texts": [{"lang", "title", "summary", "body"}],
     "tags": [...], "links": [{"url", "title"}]}

Each record carries one to three texts in en, pt, ro, hu, ca or ru. Words are
drawn from a per-language vocabulary ranked by a Zipf law (exponent about 1),
so a handful of words ("the", "de", "și", "и") occur in nearly every text of
their language while the tail is rare; real words (with their diacritics and
Cyrillic) head each list and language-flavoured pseudo-words fill it up to a
few thousand words in all. About one text in three also names a place from a
large pool of invented names, which gives really rare terms (a few hits each
at 100k records).

The second form writes the benchmark's query mix, one per line, as
tab-separated fields: category, query, kind ("" = any), lang ("" = any).
The query mix is derived from the same vocabulary, so it stays meaningful
whatever the seed.

Same arguments, same output, on any machine: everything comes from one
random.Random(seed) and no set or dict iteration order is relied upon.
Python 3 standard library only.
"""

import argparse
import bisect
import itertools
import json
import random
import sys
import unicodedata

LANGS = ["en", "pt", "ro", "hu", "ca", "ru"]
# How often each language appears as a record's first text.
LANG_WEIGHTS = [30, 18, 14, 12, 12, 14]
VOCAB_PER_LANG = 600          # 3,600 words in all, plus the place names
PLACE_NAMES = 20000
ZIPF_S = 1.05

# Most frequent real words first: function words, then domain words.
REAL_WORDS = {
    "en": """the of and to in a is for that community learning with on as are
    by this be it from or an local people can their new which we have not will
    all more network project support they at was also education europe
    european social citizens resources partners initiative centre training
    schools skills culture library village council youth adult volunteers
    lifelong development rural digital workshop municipality funding
    cooperation regional knowledge platform innovation heritage tradition
    museum environment housing health employment mobility inclusion
    integration migrants elderly children families neighbourhood governance
    partnership guide toolkit evaluation strategy sustainability""",
    "pt": """de a o que e do da em um para é com não uma os no se na por
    mais as dos como mas foi ao ele das tem à seu sua ou ser quando muito
    comunidade aprendizagem educação formação cidadãos município câmara
    associação juventude idosos escolas biblioteca cultura património
    inovação cooperação desenvolvimento região parceria participação
    inclusão integração saúde emprego ambiente habitação tradição artesanato
    agricultura turismo música memória língua território ação informação
    avaliação estratégia sustentável voluntários crianças famílias""",
    "ro": """și de la în a că cu nu o pe un ce se din mai care pentru este
    sunt fost dar sau cel ca lor acest această comunitate învățare educație
    formare cetățeni primărie asociație tineri vârstnici școli bibliotecă
    cultură patrimoniu inovație cooperare dezvoltare regiune parteneriat
    participare incluziune integrare sănătate ocupare mediu locuințe tradiție
    meșteșuguri agricultură turism muzică memorie limbă teritoriu acțiune
    informație evaluare strategie durabil voluntari copii familii sat oraș""",
    "hu": """a az és hogy nem is egy meg de ez van csak már mint el volt
    még vagy kell ki be fel ha mert lesz közösség tanulás oktatás képzés
    polgárok önkormányzat egyesület fiatalok idősek iskolák könyvtár kultúra
    örökség innováció együttműködés fejlesztés régió partnerség részvétel
    befogadás integráció egészség foglalkoztatás környezet lakhatás
    hagyomány kézművesség mezőgazdaság turizmus zene emlékezet nyelv
    terület cselekvés információ értékelés stratégia fenntartható
    önkéntesek gyerekek családok falu város""",
    "ca": """de la i el que a en les els per un una és amb no del al com més
    però hi ho va seu seva comunitat aprenentatge educació formació
    ciutadans ajuntament associació joventut gent gran escoles biblioteca
    cultura patrimoni innovació cooperació desenvolupament regió associació
    participació inclusió integració salut ocupació medi habitatge tradició
    artesania agricultura turisme música memòria llengua territori acció
    informació avaluació estratègia sostenible voluntaris infants famílies
    poble ciutat""",
    "ru": """и в не на что с по как это он к из но за от у для о же так
    все она мы они вы было сообщество обучение образование подготовка
    граждане муниципалитет ассоциация молодёжь пожилые школы библиотека
    культура наследие инновации сотрудничество развитие регион партнёрство
    участие интеграция здоровье занятость среда жильё традиция ремёсла
    сельское хозяйство туризм музыка память язык территория действие
    информация оценка стратегия устойчивое добровольцы дети семьи деревня
    город""",
}

# Syllables for the pseudo-words that fill each vocabulary.
SYLLABLES = {
    "en": "ba be bi bo bu ca ce co cu da de di do fa fe fi fo ga ge go ha he "
          "hi ho la le li lo lu ma me mi mo mu na ne ni no pa pe pi po ra re "
          "ri ro sa se si so ta te ti to va ve vi wa we wi ing er ter tion ly "
          "ment ness ward ship",
    "pt": "ba bo ca ção çã co da de do fa fi ga go lha lhe ma mã me mo na nh "
          "nhe pa pe po ra re ri ro sa se sõ ta te ti tu va ve vi zé ão ê é í "
          "ó ú dade mento eiro ância",
    "ro": "ba bă ca că ce ci co da de dâ fa fi ga ge gi la le li lu ma mă me "
          "mi mâ na ne ni nu pa pă pe pi ra ră re ri ro sa să se și șa ta tă "
          "te ți țu va ve vi ză ție ului ește area",
    "hu": "ba be bé bo bö ca cs da de dé do eg el em er fa fe fö ga gy gyö ha "
          "he hő ke ké kö la le lé lö ma me mé mö na ne né ny nyö ő ö pa pe "
          "ra re ré ró sz sze szö ta te té tö ü ű va ve vé zs ság ség ból",
    "ca": "ba be bi ca ce ci ço da de di fa fe ga ge gi là le li lo ll lla "
          "lle ma me mi mo na ne ni ny nya pa pe pi ra re ri ro sa se si ta "
          "te ti tu va ve vi xa xe è é í ò ó ú ció ment tat",
    "ru": "ба бе бо ва ве во га го да де до жа за зе ка ко ку ла ле ли ло ма "
          "ме ми мо на не ни но па пе по ра ре ри ро са се си со та те ти то "
          "ту фа ха це ча че ша ще ый ой ая ие ость ение ство",
}

PLACE_SYLLABLES = ("al ar bel bor dan dor el fal gar hal is kar kel lan lor "
                   "mar mir nor or quel ran ril sar sel tal tor ul val ven "
                   "vor zar zel").split()

TAGS = """learning-community partnership guide lifelong-learning youth
elderly rural urban digital-skills heritage culture library volunteering
employment health inclusion migrants environment housing mobility tourism
agriculture crafts music language memory governance funding evaluation
toolkit workshop training schools adult-education cooperation innovation
needs-analysis community-profile cross-sector local-authority ngo network
platform strategy sustainability mentoring citizenship media arts sport
food energy water transport care family children women entrepreneurship
social-economy research open-data""".split()

KINDS = ["initiative", "resource"]
TLDS = ["org", "net", "eu", "test"]


def fold(word):
    """The word without diacritics (what a user types on a plain keyboard)."""
    d = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(c for c in d if not unicodedata.combining(c)))


def zipf_cum_weights(n, s):
    acc, out = 0.0, []
    for rank in range(1, n + 1):
        acc += 1.0 / rank ** s
        out.append(acc)
    return out


class Vocab:
    def __init__(self, rng):
        self.words = {}
        self.cum = zipf_cum_weights(VOCAB_PER_LANG, ZIPF_S)
        for lang in LANGS:
            words = []
            seen = {}
            for w in REAL_WORDS[lang].split():
                if w not in seen:
                    seen[w] = True
                    words.append(w)
            syl = SYLLABLES[lang].split()
            tries = 0
            while len(words) < VOCAB_PER_LANG and tries < 100 * VOCAB_PER_LANG:
                tries += 1
                w = "".join(rng.choice(syl) for _ in range(rng.randint(2, 4)))
                if len(w) >= 4 and w not in seen:
                    seen[w] = True
                    words.append(w)
            if len(words) < VOCAB_PER_LANG:
                raise SystemExit("vocabulary for %s too small" % lang)
            # Real words stay on top; the pseudo-words are shuffled among the
            # rest of the ranks so that rank does not follow length.
            n_real = len(REAL_WORDS[lang].split())
            tail = words[n_real:]
            rng.shuffle(tail)
            self.words[lang] = words[:n_real] + tail
        places, seen = [], {}
        tries = 0
        while len(places) < PLACE_NAMES and tries < 50 * PLACE_NAMES:
            tries += 1
            w = "".join(rng.choice(PLACE_SYLLABLES)
                        for _ in range(rng.randint(3, 4)))
            if w not in seen:
                seen[w] = True
                places.append(w.capitalize())
        self.places = places
        tag_cum = zipf_cum_weights(len(TAGS), 0.9)
        self.tag_cum = tag_cum

    def draw(self, rng, lang, k):
        words, cum, total = self.words[lang], self.cum, self.cum[-1]
        return [words[bisect.bisect(cum, rng.random() * total)]
                for _ in range(k)]


def sentence(rng, vocab, lang, n):
    words = vocab.draw(rng, lang, n)
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + "."


def text_obj(rng, vocab, lang, body_bytes):
    title = " ".join(vocab.draw(rng, lang, rng.randint(3, 8)))
    title = title[:1].upper() + title[1:]
    summary = " ".join(sentence(rng, vocab, lang, rng.randint(8, 16))
                       for _ in range(rng.randint(1, 2)))
    if rng.random() < 0.35:
        summary += " " + rng.choice(vocab.places) + "."
    t = {"lang": lang, "title": title, "summary": summary}
    if body_bytes > 0:
        parts, size = [], 0
        for _ in range(10000):                      # bounded
            if size >= body_bytes:
                break
            s = sentence(rng, vocab, lang, rng.randint(6, 18))
            parts.append(s)
            size += len(s.encode()) + 1
        t["body"] = " ".join(parts)
    return t


def record(rng, vocab, target):
    n_texts = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
    first = rng.choices(LANGS, weights=LANG_WEIGHTS)[0]
    langs = [first] + rng.sample([lang for lang in LANGS if lang != first],
                                 n_texts - 1)
    kind = rng.choices(KINDS, weights=[55, 45])[0]
    tags = []
    for _ in range(rng.randint(0, 5)):
        t = TAGS[bisect.bisect(vocab.tag_cum, rng.random() * vocab.tag_cum[-1])]
        if t not in tags:
            tags.append(t)
    links = []
    for _ in range(rng.choices([0, 1, 2, 3], weights=[20, 50, 20, 10])[0]):
        host = rng.choice(vocab.places).lower()
        links.append({
            "url": "https://%s.example.%s/%s/%d" % (
                host, rng.choice(TLDS), fold(rng.choice(vocab.words["en"])),
                rng.randint(1, 99999)),
            "title": " ".join(vocab.draw(rng, langs[0], rng.randint(1, 4))),
        })
    rec = {"kind": kind, "texts": [], "tags": tags, "links": links}
    # Size the bodies so that the whole line lands near the target.
    texts = [text_obj(rng, vocab, lang, 0) for lang in langs]
    rec["texts"] = texts
    fixed = len(json.dumps(rec, ensure_ascii=False).encode())
    budget = max(0, target - fixed - 10 * len(texts) + 20)
    share = [rng.uniform(0.5, 1.5) for _ in texts]
    share[0] *= 2                                   # the first text is longest
    total = sum(share)
    for t, sh in zip(texts, share):
        want = int(budget * sh / total)
        if want > 40:
            body = []
            size = 0
            for _ in range(10000):                  # bounded
                s = sentence(rng, vocab, t["lang"], rng.randint(6, 18))
                n = len(s.encode()) + 1
                if body and size + n // 2 > want:
                    break
                body.append(s)
                size += n
            t["body"] = " ".join(body)
    return rec


def write_records(n, seed, size, out):
    rng = random.Random(seed)
    vocab = Vocab(rng)
    for i in range(n):
        target = max(300, int(rng.gauss(size, size * 0.15)))
        out.write(json.dumps(record(rng, vocab, target), ensure_ascii=False,
                             separators=(",", ":")))
        out.write("\n")


def queries(m, seed, out):
    """The query mix: every category present, filters on about a third."""
    rng = random.Random(seed)
    vocab = Vocab(rng)
    qrng = random.Random(seed * 7919 + 1)
    def rank(lang, lo, hi):
        return vocab.words[lang][qrng.randrange(lo, hi)]

    def accented(lang):
        for _ in range(1000):                       # bounded
            w = rank(lang, 0, 300)
            if fold(w) != w:
                return w
        return rank(lang, 0, 10)

    def prefix(lang, lo, hi):
        for _ in range(1000):                       # bounded
            w = rank(lang, lo, hi)
            if len(w) >= 4:
                return w[:qrng.randint(2, 4)] + "*"
        return "co*"

    def pick(lo, hi, langs=LANGS):
        lg = qrng.choice(langs)
        return rank(lg, lo, hi), lg

    def two(lo1, hi1, lo2, hi2, langs=LANGS):
        lg = qrng.choice(langs)
        return rank(lg, lo1, hi1) + " " + rank(lg, lo2, hi2), lg

    accent_langs = [lang for lang in LANGS if lang not in ("en", "ru")]
    latin = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch ' y ' e yu ya"
                     .split(" ")))
    suffixes = {"en": "s", "ro": "le", "hu": "ek", "ru": "ами", "ca": "s", "pt": "s",
                "it": "i", "cy": "au"}

    def inflected():
        lg = qrng.choice(LANGS)
        return rank(lg, 0, 300) + suffixes.get(lg, "s"), lg

    def romanized():
        return "".join(latin.get(c, c) for c in rank("ru", 0, 300)), "ru"

    def typo():
        lg = qrng.choice(LANGS)
        for _ in range(1000):                       # bounded
            w = rank(lg, 40, 500)
            if len(w) >= 5:
                i = qrng.randrange(1, len(w) - 1)
                return w[:i] + w[i + 1] + w[i] + w[i + 2:], lg
        return "comunty", lg
    # Each generator returns (query, language of its words).
    gens = [
        # Words in nearly every text of their language.
        ("frequent", lambda: pick(0, 8)),
        ("frequent", lambda: pick(8, 40)),
        ("mid", lambda: pick(40, 200)),
        # The vocabulary's tail: still hundreds of texts at 100k records.
        ("tail", lambda: pick(450, VOCAB_PER_LANG)),
        # Place names: a few texts each.
        ("rare", lambda: (qrng.choice(vocab.places), "")),
        ("absent", lambda: ("zq" + "".join(qrng.choice("xkqvwj")
                                           for _ in range(6)), "")),
        ("two_words", lambda: two(0, 10, 0, 10)),
        ("two_words", lambda: two(0, 30, 100, 500)),
        ("unaccented", lambda: (lambda lg: (fold(accented(lg)), lg))(
            qrng.choice(accent_langs))),
        ("accented", lambda: (lambda lg: (accented(lg), lg))(
            qrng.choice(accent_langs))),
        ("cyrillic", lambda: pick(0, 300, ["ru"])),
        ("cyrillic", lambda: two(0, 10, 10, 200, ["ru"])),
        ("prefix", lambda: (lambda lg: (prefix(lg, 0, 60), lg))(
            qrng.choice(LANGS))),
        ("prefix", lambda: (lambda lg: (prefix(lg, 60, VOCAB_PER_LANG), lg))(
            qrng.choice(LANGS))),
        # The forms of multilingual search (docs/search.md): another form
        # of a word, Russian typed in Latin letters, two letters swapped.
        ("inflected", inflected),
        ("translit", romanized),
        ("typo", typo),
    ]
    for i, (cat, gen) in zip(range(m), itertools.cycle(gens)):
        q, qlang = gen()
        kind = lang = ""
        r = qrng.random()
        if r < 0.15:
            kind = qrng.choice(KINDS)
        elif r < 0.38:
            # Mostly the query's own language, sometimes another one.
            if qlang and qrng.random() < 0.75:
                lang = qlang
            else:
                lang = qrng.choice(LANGS)
            if r >= 0.30:
                kind = qrng.choice(KINDS)
        out.write("%s\t%s\t%s\t%s\n" % (cat, q, kind, lang))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, help="number of records")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--size", type=int, default=1024,
                    help="mean record size in bytes (1024)")
    ap.add_argument("--queries", type=int, metavar="M",
                    help="write M benchmark queries instead of records")
    ap.add_argument("-o", "--output", help="output file (stdout)")
    a = ap.parse_args()
    if (a.n is None) == (a.queries is None):
        ap.error("give either N or --queries M")
    if (a.n is not None and a.n < 0) or (a.queries is not None and a.queries < 1):
        ap.error("counts must be positive")
    out = open(a.output, "w", encoding="utf-8") if a.output else sys.stdout
    try:
        if a.queries is not None:
            queries(a.queries, a.seed, out)
        else:
            write_records(a.n, a.seed, a.size, out)
    except BrokenPipeError:
        # A reader such as head(1) stopped early: not an error.
        sys.stderr.close()
        sys.exit(0)
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
