#!/usr/bin/env python3
"""Questions about a DOM that headless Chromium dumped (test_web_view.sh).

usage: webdom.py FILE QUERY [ARG]; prints the answer, one item a line.
  scripts        number of <script> elements and on* attributes
  text SEL       text of every element matching SEL (tag, tag.class or #id)
  attr SEL NAME  that attribute of every element matching SEL
  hrefs          every href in the page
  link TEXT      the href of every <a> whose text is TEXT
"""
import sys
from html.parser import HTMLParser

VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], []


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root
        self.all = []

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.all.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def text(n):
    return "".join(c if isinstance(c, str) else text(c) for c in n.children)


def match(n, sel):
    if sel.startswith("#"):
        return n.attrs.get("id") == sel[1:]
    tag, _, cls = sel.partition(".")
    if tag and n.tag != tag:
        return False
    return not cls or cls in (n.attrs.get("class") or "").split()


def main():
    t = Tree()
    with open(sys.argv[1], encoding="utf-8") as f:
        t.feed(f.read())
    q = sys.argv[2]
    if q == "scripts":
        on = sum(1 for n in t.all for a in n.attrs if a.startswith("on"))
        print(sum(1 for n in t.all if n.tag == "script") + on)
    elif q == "text":
        for n in t.all:
            if match(n, sys.argv[3]):
                print(" ".join(text(n).split()))
    elif q == "attr":
        for n in t.all:
            if match(n, sys.argv[3]) and sys.argv[4] in n.attrs:
                print(n.attrs[sys.argv[4]])
    elif q == "hrefs":
        for n in t.all:
            if "href" in n.attrs:
                print(n.attrs["href"])
    elif q == "link":
        for n in t.all:
            if n.tag == "a" and " ".join(text(n).split()) == sys.argv[3]:
                print(n.attrs.get("href", ""))
    else:
        sys.exit("unknown query " + q)


main()
