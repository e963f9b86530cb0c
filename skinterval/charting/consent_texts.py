"""The consent texts a patient signs, as versioned data.

A text, once shown to a patient, is never edited: a change is a new version with a
new id, and each signed `Consent` stores the version id and the SHA-256 of the exact
text shown, so what was agreed can always be proven.

Clinical statements in the micro-needling text come only from the evidence brief
(research/clinical-evidence.md), cited per line below; everything else is plain
consent language, not clinical fact. The texts are in English only for now: a
translated text is a different text, so it must be its own version with its own hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MICRONEEDLING = "microneedling"
PHOTOS = "photos"


@dataclass(frozen=True, slots=True)
class ConsentText:
    kind: str
    version: str
    title: str
    paragraphs: tuple[str, ...]
    # (heading, items) blocks shown as lists after the paragraphs.
    lists: tuple[tuple[str, tuple[str, ...]], ...] = ()
    statements: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The exact text shown, as one string (what the hash covers)."""
        parts = [self.title, *self.paragraphs]
        for heading, items in self.lists:
            parts.append(heading)
            parts.extend(f"- {item}" for item in items)
        parts.extend(self.statements)
        return "\n\n".join(parts)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


MICRONEEDLING_2027_01 = ConsentText(
    kind=MICRONEEDLING,
    version="microneedling-2027-01",
    title="Consent to micro-needling treatment",
    paragraphs=(
        # Procedure: collagen induction therapy, as named in the evidence brief.
        "Micro-needling (also called collagen induction therapy) uses a device with "
        "very fine needles to make many small punctures in the skin of the areas being "
        "treated. It is given as a series of sessions. Your practitioner has explained "
        "your treatment plan: the areas to be treated, the number of sessions and the "
        "time between them.",
        "Results differ from person to person and cannot be guaranteed. "
        # S3: judge results >= 3 months after the last session; best at 6-12 months.
        "Results are judged at least 3 months after the last session and are usually "
        "best 6 to 12 months after it.",
    ),
    lists=(
        (
            "What to expect",
            (
                # S1, S46: pinpoint bleeding; moderate sunburn; tightness, tingling.
                "During and right after treatment: pinpoint bleeding, skin that looks "
                "like a moderate sunburn, and tightness, tingling or itching.",
                # S3: erythema, oedema and pain resolve in 2-3 days.
                "Redness, swelling and soreness usually settle within 2 to 3 days.",
                # S20: most adverse events transient, up to 7 days.
                "Most side effects pass within 7 days: redness, swelling, pain, dry or "
                "flaking skin, darker patches of skin, swollen lymph nodes, skin "
                "irritation.",
            ),
        ),
        (
            "Risks",
            (
                # S11, S15, S36: PIH 16.7% (5/30), types IV-V, roller; 0% in an RCT.
                "Darker patches of skin (post-inflammatory hyperpigmentation): "
                "reported in 5 of 30 patients with darker skin in one study, and in "
                "none in another.",
                # S11, S2, S20: tram-track scarring 6.7% (2/30) with a roller.
                "Lines of small marks along the needle's path (tram-track scarring): "
                "reported in 2 of 30 patients treated with a roller in one study.",
                # S2: acne flare, milia, reported, infrequent.
                "Acne flare-ups and milia (small white bumps): reported, infrequent.",
                # S65, S66: granulomatous / hypersensitivity reactions, rare, often
                # resistant to treatment.
                "Allergic or granuloma reactions to products put on the skin: rare, "
                "but often hard to treat.",
                # S1: no serious adverse events in 58 studies of scars.
                "No serious side effects were reported in a review of 58 studies of "
                "micro-needling for scars.",
            ),
        ),
    ),
    statements=(
        "I have told the clinic about my health, medicines and recent treatments, and "
        "I will tell them before each session if anything changes.",
        "I have read this information, had the chance to ask questions, and had them "
        "answered.",
        "I agree to micro-needling treatment as explained to me. I know I can withdraw "
        "this consent at any time.",
    ),
)

PHOTOS_2027_01 = ConsentText(
    kind=PHOTOS,
    version="photos-2027-01",
    title="Consent to clinical photographs",
    paragraphs=(
        "The clinic would like to photograph the treated areas before, during and "
        "after your course of treatment, to follow your progress.",
        "Photographs are part of your clinical record. They are kept private to the "
        "clinic and are never made public without your consent.",
        "You choose below how your photographs may be used. You can change or "
        "withdraw this consent at any time; a withdrawal cannot recall material that "
        "was already published with your consent.",
    ),
    lists=(
        (
            "How my photographs may be used",
            (
                "For my clinical record only.",
                "Also for teaching health professionals, without my name.",
                "Also in the clinic's publicity, without my name.",
            ),
        ),
    ),
    statements=(
        "I have read this information and agree to clinical photographs being taken "
        "and used only as I have chosen.",
    ),
)

TEXTS: dict[str, ConsentText] = {
    t.version: t for t in (MICRONEEDLING_2027_01, PHOTOS_2027_01)
}
CURRENT: dict[str, ConsentText] = {
    MICRONEEDLING: MICRONEEDLING_2027_01,
    PHOTOS: PHOTOS_2027_01,
}
