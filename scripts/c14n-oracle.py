#!/usr/bin/env python3
"""Expected canonical forms for crates/xml/tests/c14n_oracle.rs, computed by libxml2.

Regenerate (Debian: `apt-get install libxml2`, which xmlsec1 depends on anyway):

    python3 scripts/c14n-oracle.py crates/xml/tests/data/c14n/inputs \
        crates/xml/tests/data/c14n

To check the oracle itself against xmlsec1 (every pre-digest buffer `xmlsec1 --verify
--store-references` computes for the signed inputs must equal one expected output):

    python3 scripts/c14n-oracle.py --check-xmlsec1 crates/xml/tests/data/c14n

This writes `expected/<sha256-prefix>.xml` (content-addressed, shared between cases with the
same output) and `manifest.json` under the output directory, replacing what was there.

The oracle is libxml2's `xmlC14NDocDumpMemory`, called through ctypes on the system
libxml2.so.2 — the very library and function xmlsec1 uses for every c14n transform — with an
XPath node set built the way the specifications (and xmlsec1's same-document `#id` reference
plus enveloped-signature transform) define it:

    (A//. | A//@* | A//namespace::*)  minus every node whose ancestor-or-self is X

where A is the apex element and X the excluded element (the enveloped `ds:Signature`). Using
a real node set matters: it gives Canonical XML 1.0/1.1 the inherited `xml:*` attributes and
the ancestors' namespace nodes, which lxml's `tostring(method="c14n")` on a sub-element (a
copied "fake root") does not.

For each input file the cases are: apex = whole document, document element, its first child
element, the first element with an `ID` attribute, the first `Assertion` and the first
`SignedInfo`; each with no exclusion and, where the apex contains one, with the first
`Signature` element excluded; each under eight algorithm variants (exclusive with and without
comments, exclusive with two PrefixLists, Canonical XML 1.0 and 1.1 with and without
comments; plus one per distinct `PrefixList` the document's own signatures use). Elements are
addressed by their 0-based index in document order (`(//*)[i+1]`), which roxmltree's element
order reproduces.

A case whose canonicalization libxml2 refuses (for example a relative namespace URI) is
recorded with `"error": true`; the Rust side must refuse it too.
"""

import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import sys

# xmlsec1 parses with entity substitution (xmlSubstituteEntitiesDefault(1)); without it libxml2
# keeps `&#38;` in namespace URIs and writes it out verbatim.
XML_PARSE_NOENT = 1 << 1
XML_PARSE_NONET = 1 << 11
MODES = {"exclusive": 1, "inclusive10": 0, "inclusive11": 2}
URIS = {
    ("exclusive", False): "http://www.w3.org/2001/10/xml-exc-c14n#",
    ("exclusive", True): "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    ("inclusive10", False): "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    ("inclusive10", True): "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    ("inclusive11", False): "http://www.w3.org/2006/12/xml-c14n11",
    ("inclusive11", True): "http://www.w3.org/2006/12/xml-c14n11#WithComments",
}


class XPathObject(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("nodesetval", ctypes.c_void_p),
        ("boolval", ctypes.c_int),
        ("floatval", ctypes.c_double),
        ("stringval", ctypes.c_char_p),
    ]


def load_libxml2():
    lib = ctypes.CDLL(ctypes.util.find_library("xml2") or "libxml2.so.2")
    lib.xmlReadMemory.restype = ctypes.c_void_p
    lib.xmlReadMemory.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    lib.xmlXPathNewContext.restype = ctypes.c_void_p
    lib.xmlXPathNewContext.argtypes = [ctypes.c_void_p]
    lib.xmlXPathEvalExpression.restype = ctypes.POINTER(XPathObject)
    lib.xmlXPathEvalExpression.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    lib.xmlXPathRegisterVariable.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    lib.xmlXPathFreeObject.argtypes = [ctypes.c_void_p]
    lib.xmlXPathFreeContext.argtypes = [ctypes.c_void_p]
    lib.xmlFreeDoc.argtypes = [ctypes.c_void_p]
    lib.xmlC14NDocDumpMemory.restype = ctypes.c_int
    lib.xmlC14NDocDumpMemory.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.xmlCheckVersion.argtypes = [ctypes.c_int]
    lib.xmlCheckVersion(20900)
    # Keep libxml2's parser and c14n error chatter off stderr.
    handler = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)(lambda ctx, msg: None)
    lib.xmlSetGenericErrorFunc.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.xmlSetGenericErrorFunc(None, ctypes.cast(handler, ctypes.c_void_p))
    lib._keep_handler = handler
    return lib


LIB = load_libxml2()
LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
LIBC.free.argtypes = [ctypes.c_void_p]


class Doc:
    def __init__(self, data: bytes, name: str):
        self.ptr = LIB.xmlReadMemory(data, len(data), name.encode(), None, XML_PARSE_NOENT | XML_PARSE_NONET)
        if not self.ptr:
            raise ValueError(f"libxml2 cannot parse {name}")

    def close(self):
        LIB.xmlFreeDoc(self.ptr)

    def _context(self, variables):
        ctx = LIB.xmlXPathNewContext(self.ptr)
        for name, expr in variables.items():
            obj = LIB.xmlXPathEvalExpression(expr.encode(), ctx)
            if not obj:
                raise ValueError(f"bad XPath {expr}")
            # The context takes ownership of the object.
            LIB.xmlXPathRegisterVariable(ctx, name.encode(), ctypes.cast(obj, ctypes.c_void_p))
        return ctx

    def number(self, expr: str) -> float:
        ctx = self._context({})
        obj = LIB.xmlXPathEvalExpression(expr.encode(), ctx)
        value = obj.contents.floatval
        LIB.xmlXPathFreeObject(ctypes.cast(obj, ctypes.c_void_p))
        LIB.xmlXPathFreeContext(ctx)
        return value

    def index_of(self, expr: str):
        """Document-order index of the first element selected by `expr`, or None."""
        if self.number(f"count({expr})") == 0:
            return None
        first = f"({expr})[1]"
        return int(self.number(f"count({first}/ancestor::*) + count({first}/preceding::*)"))

    def c14n(self, apex, exclude, mode: str, with_comments: bool, prefixes):
        """Canonical bytes, or None when libxml2 refuses."""
        variables = {}
        if apex is None:
            nodes = "(//. | //@* | //namespace::*)"
        else:
            variables["a"] = f"(//*)[{apex + 1}]"
            nodes = "($a/descendant-or-self::node() | $a/descendant-or-self::*/@* | $a/descendant-or-self::*/namespace::*)"
        if exclude is not None:
            variables["x"] = f"(//*)[{exclude + 1}]"
            nodes += "[count(ancestor-or-self::node() | $x) != count(ancestor-or-self::node())]"
        ctx = self._context(variables)
        obj = None
        nodeset = None
        if apex is not None or exclude is not None:
            obj = LIB.xmlXPathEvalExpression(nodes.encode(), ctx)
            if not obj:
                raise ValueError(f"bad XPath {nodes}")
            nodeset = obj.contents.nodesetval
        c_prefixes = None
        if mode == "exclusive" and prefixes:
            c_prefixes = (ctypes.c_char_p * (len(prefixes) + 1))(*[p.encode() for p in prefixes], None)
        out = ctypes.c_void_p()
        size = LIB.xmlC14NDocDumpMemory(self.ptr, nodeset, MODES[mode], c_prefixes, int(with_comments), ctypes.byref(out))
        result = None
        if size >= 0:
            result = ctypes.string_at(out, size) if size else b""
        if out:
            LIBC.free(out)
        if obj:
            LIB.xmlXPathFreeObject(ctypes.cast(obj, ctypes.c_void_p))
        LIB.xmlXPathFreeContext(ctx)
        return result


def element_desc(doc: Doc, index: int) -> str:
    return f"(//*)[{index + 1}]"


def apexes(doc: Doc):
    """(index or None, description) of the apex elements to test, without duplicates."""
    found = [(None, "document")]
    for expr, desc in [
        ("/*", "document element"),
        ("/*/*", "first child of the document element"),
        ("//*[@ID]", "first element with an ID attribute"),
        ("//*[local-name()='Assertion']", "first Assertion"),
        ("//*[local-name()='SignedInfo']", "first SignedInfo"),
        ("//*[@c14n-apex]", "element marked c14n-apex"),
    ]:
        index = doc.index_of(expr)
        if index is not None and index not in [i for i, _ in found]:
            found.append((index, desc))
    return found


def exclusions(doc: Doc, apex):
    base = "/" if apex is None else f"(//*)[{apex + 1}]"
    result = [(None, None)]
    for expr, desc in [
        (f"{base}/descendant::*[local-name()='Signature']", "first Signature in the apex"),
        (f"{base}/descendant::*[@c14n-exclude]", "element marked c14n-exclude"),
    ]:
        index = doc.index_of(expr)
        if index is not None and index != apex and index not in [i for i, _ in result]:
            result.append((index, desc))
    return result


def prefix_lists(text: str):
    declared = sorted(set(re.findall(r"xmlns:([A-Za-z_][\w.-]*)\s*=", text)))
    lists = [["#default"] + declared + ["nosuch"]]
    lists.append(declared[:1] if declared else ["#default"])
    # The PrefixLists the document's own signatures use.
    for value in re.findall(r"PrefixList\s*=\s*[\"']([^\"']*)[\"']", text):
        own = value.split()
        if own and own not in lists:
            lists.append(own)
    return lists


def check_xmlsec1(out_dir):
    import subprocess

    manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
    outputs = {}
    for case in manifest["cases"]:
        if "expected" in case:
            data = open(os.path.join(out_dir, case["expected"]), "rb").read()
            outputs.setdefault(case["input"], set()).add(data)
    checked = missing = 0
    for name in sorted(outputs):
        run = subprocess.run(
            ["xmlsec1", "--verify", "--store-references", "--print-debug", "--insecure",
             "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
             "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
             os.path.join(out_dir, "inputs", name)],
            capture_output=True,
        )
        buffers = re.findall(rb"== PreDigest data - start buffer:\n(.*?)\n== PreDigest data - end buffer", run.stdout, re.S)
        for buffer in buffers:
            checked += 1
            if buffer not in outputs[name]:
                missing += 1
                print(f"{name}: xmlsec1 pre-digest data ({len(buffer)} bytes) is not among the expected outputs")
    print(f"{checked} xmlsec1 pre-digest buffers checked, {missing} without a matching expected output")
    sys.exit(1 if missing else 0)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-xmlsec1":
        check_xmlsec1(sys.argv[2])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    inputs, out_dir = sys.argv[1], sys.argv[2]
    expected_dir = os.path.join(out_dir, "expected")
    os.makedirs(expected_dir, exist_ok=True)
    for old in os.listdir(expected_dir):
        os.remove(os.path.join(expected_dir, old))
    cases = []
    for name in sorted(os.listdir(inputs)):
        if not name.endswith(".xml"):
            continue
        path = os.path.join(inputs, name)
        data = open(path, "rb").read()
        doc = Doc(data, name)
        variants = [("exclusive", False, []), ("exclusive", True, [])]
        variants += [("exclusive", False, p) for p in prefix_lists(data.decode("utf-8"))]
        variants += [(m, c, []) for m in ("inclusive10", "inclusive11") for c in (False, True)]
        for apex, apex_desc in apexes(doc):
            for exclude, exclude_desc in exclusions(doc, apex):
                for mode, with_comments, prefixes in variants:
                    result = doc.c14n(apex, exclude, mode, with_comments, prefixes)
                    case = {
                        "input": name,
                        "apex": None if apex is None else {"index": apex, "desc": apex_desc},
                        "exclude": None if exclude is None else {"index": exclude, "desc": exclude_desc},
                        "algorithm": URIS[(mode, with_comments)],
                        "inclusive_prefixes": prefixes,
                    }
                    if result is None:
                        case["error"] = True
                    else:
                        digest = hashlib.sha256(result).hexdigest()[:16]
                        expected = f"expected/{digest}.xml"
                        with open(os.path.join(out_dir, expected), "wb") as f:
                            f.write(result)
                        case["expected"] = expected
                    cases.append(case)
        doc.close()
    manifest = {
        "generator": "scripts/c14n-oracle.py (libxml2 xmlC14NDocDumpMemory via ctypes)",
        "libxml2": LIB_VERSION,
        "cases": cases,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        # One case per line: small, and diffs show exactly which cases changed.
        f.write("{\n")
        f.write(f' "generator": {json.dumps(manifest["generator"])},\n')
        f.write(f' "libxml2": {json.dumps(manifest["libxml2"])},\n')
        f.write(' "cases": [\n')
        f.write(",\n".join("  " + json.dumps(case, ensure_ascii=False) for case in cases))
        f.write("\n ]\n}\n")
    errors = sum(1 for c in cases if c.get("error"))
    print(f"{len(cases)} cases ({errors} refused by libxml2), {len(os.listdir(expected_dir))} distinct outputs")


LIB_VERSION = ctypes.c_char_p.in_dll(LIB, "xmlParserVersion").value.decode()

if __name__ == "__main__":
    main()
