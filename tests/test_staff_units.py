"""Parts of the staff console without a web app: masking, staff data, progress, the
model registry and the promotion rule, jobs, and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot import cli
from core import clock
from core.privacy import masking
from tests.staff_helpers import fake_evaluation, fake_model
from webapp.staff import evaluation, heldout, similarity, trainingdata
from webapp.staff.jobs import DONE, FAILED, RUNNING, TRAIN, Busy, Jobs
from webapp.staff.passwords import policy_error
from webapp.staff.progress import TrainProgress
from webapp.staff.promotion import PromotionRefused, judge, promote
from webapp.staff.registry import Registry, RegistryError

# --- masking -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail me op Jan.Jansen@example.com!", "mail me op [e-mailadres]!"),
        ("bel 06-12345678 of +31 20 123 4567", "bel [telefoonnummer] of [telefoonnummer]"),
        ("ik woon op 1234 AB 12a in Balie", "ik woon op [postcode en huisnummer] in Balie"),
        ("postcode 1234ab", "postcode [postcode]"),
        ("mijn bsn is 111222333", "mijn bsn is [BSN]"),
        ("bsn 1112.22.333", "bsn [BSN]"),
        ("rekening NL91 ABNA 0417 1643 00 graag", "rekening [IBAN] graag"),
        ("NL91ABNA0417164300", "[IBAN]"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert masking.mask(text) == masked
    assert masking.find(masking.stand_in(text)) == []  # stand-ins are not personal data


@pytest.mark.parametrize(
    "text",
    [
        "zaak M-2026-000042 is nog niet klaar",
        "nummer 123456789 faalt de elfproef",
        "NL91ABNA0417164301 heeft een foute controle",
        "in 2026 en 2027 zijn er 12 lantaarnpalen vervangen",
        "de bus van 14.30 naar de Parkweg 1",
    ],
)
def test_what_is_not_personal_data_stays(text: str) -> None:
    assert masking.mask(text) == text


def test_kinds_name_what_was_found_in_dutch() -> None:
    assert masking.kinds("a@b.nl en 111222333") == ["BSN", "e-mailadres"]


def test_names_the_caller_knows_are_masked_whole_and_in_parts() -> None:
    names = ["Pieter-Jan van den Berg"]
    assert (
        masking.mask("ik ben pieter-jan van den berg, groet Pieter-Jan", names=names)
        == "ik ben [naam], groet [naam]"
    )
    assert masking.mask("de heer Berg belde", names=names) == "de heer [naam] belde"
    # Words within other words and the bare tussenvoegsels stay.
    assert masking.mask("van den Bergweg naar de bergen", names=names) == (
        "van den Bergweg naar de bergen"
    )
    # An e-mail address containing the name is one e-mail address.
    assert masking.mask("mail berg@example.nl", names=names) == "mail [e-mailadres]"
    assert masking.name_variants(" ") == [] and masking.name_variants("12") == []


def test_public_texts_are_left_alone() -> None:
    public = ["14 0123", "info@lindewaard.example", "Raadhuisplein 1, 4321 AB Lindewaard"]
    text = (
        "Bel 14 0123, mail info@lindewaard.example of kom naar Raadhuisplein 1, 4321 AB Lindewaard"
    )
    assert masking.mask(text, public=public) == text
    assert masking.mask("bel mij op 020-7654321", public=public) == "bel mij op [telefoonnummer]"


def test_stand_ins_replace_the_mask_labels_too() -> None:
    masked = "ik ben [naam], bel [telefoonnummer] of mail [e-mailadres] ([postcode en huisnummer])"
    assert masking.stand_in(masked) == (
        "ik ben Jan Jansen, bel 0612345678 of mail naam@voorbeeld.nl (1234 AB 1)"
    )
    assert masking.stand_in("iban [IBAN], bsn [BSN], [postcode]") == (
        "iban NL00BANK0123456789, bsn 123456789, 1234 AB"
    )
    # Masked text is masked already: masking it again changes nothing.
    assert masking.mask(masked) == masked


def test_encrypted_values_are_never_shown() -> None:
    assert masking.mask("contact: enc:v1:gAAAAABm_x-1Y2=") == "contact: [versleuteld]"


def test_a_message_of_only_masked_data() -> None:
    assert masking.only_masked("[naam]") and masking.only_masked("[e-mailadres], [telefoonnummer]")
    assert not masking.only_masked("ik ben [naam]") and not masking.only_masked("ja")


# --- the staff data file ------------------------------------------------------------------


def test_staff_file_round_trips_and_rasa_reads_it(tmp_path: Path) -> None:
    from webapp.staff.training import load_nlu

    path = tmp_path / "staff.yml"
    trainingdata.write(path, trainingdata.StaffData())
    assert load_nlu([path]).intent_examples == []  # the empty file is valid Rasa data
    data = trainingdata.StaffData(
        examples={"faq/honden": ['hond # belasting: "ja"', "hoeveel kost een hond"]},
        responses={"utter_faq/honden": [{"text": 'Zie {gemeente_website}.\nOf bel "ons".'}]},
    )
    trainingdata.write(path, data)
    assert trainingdata.read(path) == data
    loaded = load_nlu([path])
    assert {m.get("text") for m in loaded.intent_examples} == set(data.examples["faq/honden"])
    assert loaded.responses == data.responses


def test_clean_text_drops_entity_markup_and_line_breaks() -> None:
    assert trainingdata.clean_text("  [Parkweg](straat)\n is [kapot]{x} ") == "Parkweg is kapot"
    assert trainingdata.clean_text("a [b] c") == "a (b) c"
    assert trainingdata.normalise("Openingstijden?!") == trainingdata.normalise("openingstijden")


async def test_examples_are_deduplicated_and_personal_data_refused(tmp_path: Path) -> None:
    staff = trainingdata.StaffDataFile(tmp_path / "staff.yml")
    assert (await staff.add_example("Openingstijden", "faq/openingstijden")).status == "bestaat_al"
    conflict = await staff.add_example("openingstijden", "groeten")
    assert conflict.status == "conflict" and conflict.existing_intent == "faq/openingstijden"
    with pytest.raises(trainingdata.DataError, match="persoonsgegevens"):
        await staff.add_example("mijn nummer is 0687654321", "informeren")
    added = await staff.add_example("mijn nummer is 0687654321", "informeren", mask=True)
    assert added.status == "toegevoegd" and added.text == "mijn nummer is 0612345678"
    assert (
        await staff.add_example("Mijn nummer is 0687654321!", "informeren", mask=True)
    ).status == ("bestaat_al")
    with pytest.raises(trainingdata.DataError, match="Onbekende intent"):
        await staff.add_example("iets", "bestaat_niet")
    assert (await staff.data()).examples == {"informeren": ["mijn nummer is 0612345678"]}


# --- progress -----------------------------------------------------------------------------


def test_progress_follows_rasa_train_output() -> None:
    progress = TrainProgress(components_total=4)
    assert progress.percent == 0 and progress.label.startswith("Voorbereiden")
    progress.feed(
        "2026-11-22 14:46:54 INFO rasa.cli.train - Started validating domain and training data..."
    )
    assert progress.stage == "voorbereiden" and progress.percent == 5
    assert progress.label == "Voorbereiden: de gegevens en het domein controleren"
    progress.feed(
        "INFO rasa.engine.training.hooks - Starting to train component 'RegexFeaturizer'."
    )
    progress.feed(
        "INFO rasa.engine.training.hooks - Finished training component 'RegexFeaturizer'."
    )
    progress.feed("INFO rasa.engine.training.hooks - Restored component 'RulePolicy' from cache.")
    assert progress.components_done == 2 and progress.percent == 20 + 65 // 2
    assert progress.label == "Trainen: onderdeel 2 van 4 (RulePolicy)"
    assert not progress.feed("UserWarning: something else")


def test_job_log_lines_are_in_local_time(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from webapp.staff import process

    line = process.stamped("2026-12-06 00:10:07 INFO     rasa.cli.train - Training...")
    assert line.endswith(" INFO     rasa.cli.train - Training...") and "2026-12-06" not in line
    local = clock.now()
    assert (
        abs(
            datetime.strptime(line[:8], "%H:%M:%S").replace(
                year=local.year, month=local.month, day=local.day, tzinfo=local.tzinfo
            )
            - local
        ).total_seconds()
        < 5
    )
    # In winter Amsterdam is an hour ahead of the UTC the servers run in.
    assert clock.local(datetime(2026, 12, 6, 0, 10, tzinfo=timezone.utc)).hour == 1
    jobs = Jobs(tmp_path / "jobs", tmp_path / "models")
    job = jobs.create(TRAIN, "ans")
    job.note("Beoordelen van model x.")
    assert job.log_tail().endswith(" [balie] Beoordelen van model x.")
    assert job.state().label.startswith("Voorbereiden")  # never "waiting to start"


# --- the held-out staff examples and the scores on them -------------------------------------


def test_staff_examples_are_split_by_a_hash_that_never_moves_them(tmp_path: Path) -> None:
    texts = [f"voorbeeld nummer {i} voor de test" for i in range(200)]
    data = trainingdata.StaffData(
        examples={"faq/pgb": texts[:100], "groeten": texts[100:]},
        responses={"utter_faq/pgb": [{"text": "Een antwoord."}]},
    )
    train, test = heldout.staff_parts(data)
    assert 20 <= test.count() <= 60 and train.count() + test.count() == 200
    assert train.responses == data.responses  # every answer stays trained
    # Adding and removing other examples never moves one from trained to held out.
    more = trainingdata.StaffData(examples={"faq/pgb": [*texts[50:100], "nog een"]})
    _, test_more = heldout.staff_parts(more)
    assert set(test_more.examples["faq/pgb"]) - {"nog een"} == {
        t for t in test.examples["faq/pgb"] if t in texts[50:100]
    }
    staff_file = tmp_path / "staff.yml"
    trainingdata.write(staff_file, data)
    base_test = tmp_path / "test_nlu.yml"  # Balie's own held-out file
    base_test.write_text('version: "3.1"\nnlu: []\n')
    split = heldout.split_staff(tmp_path / "job", staff_file, base_test)
    assert trainingdata.read(split.train_file).count() == train.count()
    assert split.test_dir and split.texts == {t for ts in test.examples.values() for t in ts}
    staff_test = split.test_dir / "staff_test_nlu.yml"
    assert trainingdata.read(staff_test).count() == test.count()
    assert (split.test_dir / "test_nlu.yml").read_bytes() == base_test.read_bytes()
    again = heldout.split_staff(tmp_path / "again", staff_file, base_test)
    assert again.fingerprint == split.fingerprint
    trainingdata.write(staff_file, trainingdata.StaffData())
    assert heldout.split_staff(tmp_path / "empty", staff_file, base_test).test_dir is None


def _rasa_output(out: Path, predicted: dict[str, str]) -> None:
    """What `rasa test nlu --successes` writes, for the texts and full intents given."""
    out.mkdir(parents=True)
    expected = {"prieel": "faq/omgevingsvergunning", "hoi": "groeten", "mijn paspoort": "faq/pgb"}
    intents: dict[str, list] = {"successes": [], "errors": []}
    topics: dict[str, list] = {"successes": [], "errors": []}
    for text, right in expected.items():
        guess = predicted[text]
        kind = "successes" if guess == right else "errors"
        intent, guessed = right.split("/")[0], guess.split("/")[0]
        intents["successes" if intent == guessed else "errors"].append(
            {
                "text": text,
                "intent": intent,
                "intent_prediction": {"name": guessed, "confidence": 0.7},
            }
        )
        if "/" in right:
            topics[kind].append(
                {
                    "text": text,
                    "intent_response_key_target": right,
                    "intent_response_key_prediction": {"name": guess, "confidence": 0.6},
                }
            )
    for kind in ("successes", "errors"):
        (out / f"intent_{kind}.json").write_text(json.dumps(intents[kind]))
        (out / f"response_selection_{kind}.json").write_text(json.dumps(topics[kind]))
    report = {
        "accuracy": 0.5,
        "macro avg": {"f1-score": 0.5, "support": 3},
        "weighted avg": {"f1-score": 0.5},
        "faq": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 2},
    }
    (out / "intent_report.json").write_text(json.dumps(report))


def test_full_intents_confusion_and_the_gain_on_staff_examples(tmp_path: Path) -> None:
    live = {"prieel": "faq/pgb", "hoi": "groeten", "mijn paspoort": "faq/pgb"}
    candidate = {**live, "prieel": "faq/omgevingsvergunning"}
    _rasa_output(tmp_path / "live", live)
    _rasa_output(tmp_path / "candidate", candidate)
    # The intent is right ("faq") for both; only the FAQ topic tells them apart.
    summary = evaluation.summarise(tmp_path / "live", "split")
    assert summary["confusion"]["faq/omgevingsvergunning"] == {"faq/pgb": 1}
    assert summary["errors"][0]["voorspeld"] == "faq/pgb" and summary["full_accuracy"] == 0.6667
    found = evaluation.predictions(tmp_path / "candidate")
    assert all(p["verwacht"] == p["voorspeld"] for p in found)
    new = {"accuracy": 1.0, "correct": 3, "support": 3}
    old = {"accuracy": 0.6667, "correct": 2, "support": 3}
    assert evaluation.staff_gain(new, old) == 33.3
    assert evaluation.staff_gain(new, None) is None


# --- registry and promotion ---------------------------------------------------------------


def test_registry_promotion_rule_and_rollback(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    first = registry.register(fake_model(tmp_path, "een"))
    assert registry.register(fake_model(tmp_path, "een")).name == first.name  # same file
    for name in ("twee", "drie"):
        registry.register(fake_model(tmp_path, name))
    # No live model yet, but no evaluation either.
    assert not judge(tmp_path, registry.get("een"), None).allowed
    fake_evaluation(tmp_path, "een", 0.80)
    promote(registry, "een", "ans")
    assert registry.live().name == "een"

    with pytest.raises(PromotionRefused, match="nog niet geëvalueerd"):
        promote(registry, "twee", "ans")
    fake_evaluation(tmp_path, "twee", 0.795)
    with pytest.raises(PromotionRefused, match="scoort slechter"):
        promote(registry, "twee", "ans")
    assert judge(tmp_path, registry.get("twee"), registry.live(), tolerance=0.01).allowed
    fake_evaluation(tmp_path, "drie", 0.80)  # equal is not worse
    _, verdict = promote(registry, "drie", "ans")
    assert verdict.allowed and registry.live().name == "drie"
    with pytest.raises(PromotionRefused, match="al live"):
        promote(registry, "drie", "ans", overrule=True, reden="x")
    _, verdict = promote(registry, "twee", "bob", overrule=True, reden="nood")
    assert not verdict.allowed and registry.live().name == "twee"
    assert registry.previous().name == "drie"
    assert registry.history()[0] | {"tijd": None} == {
        "actie": "promoveren",
        "model": "twee",
        "vorige": "drie",
        "door": "bob",
        "tijd": None,
        "overruled": True,
        "reden": "nood",
        "scores": {"kandidaat_macro_f1": 0.795, "live_macro_f1": 0.8},
    }
    assert registry.rollback(door="ans").name == "drie"
    assert registry.rollback(door="ans").name == "een"
    with pytest.raises(RegistryError, match="geen vorig model"):
        registry.rollback(door="ans")


def test_old_models_are_pruned_but_never_the_live_or_previous_one(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    names = [f"model-{i}" for i in range(8)]
    for i, name in enumerate(names):
        entry = registry.register(fake_model(tmp_path, name))
        # Registration times a second apart: the oldest first.
        registry._change(
            lambda data, n=entry.name, i=i: data["models"][n].update(
                registered_at=f"2026-12-01T10:00:0{i}+00:00"
            )
        )
        fake_evaluation(tmp_path, name, 0.8)
    for name in ("model-0", "model-1", "model-2"):
        registry.set_live(name, door="ans")
    removed = registry.prune(keep=3)
    # Kept: the newest three, the live model (model-2) and the previous one (model-1).
    assert {m.name for m in removed} == {"model-0", "model-3", "model-4"}
    assert {m.name for m in registry.entries()} == {"model-1", "model-2", *names[5:]}
    assert not (tmp_path / "model-0.tar.gz").exists() and (tmp_path / "model-1.tar.gz").exists()
    assert registry.live().name == "model-2" and registry.previous().name == "model-1"
    assert registry.prune(keep=3) == []
    assert registry.rollback(door="ans").name == "model-1"
    with pytest.raises(RegistryError, match="geen vorig model"):
        registry.rollback(door="ans")  # model-0 is gone


def test_registry_survives_a_new_reader(tmp_path: Path) -> None:
    Registry(tmp_path).register(fake_model(tmp_path, "een"))
    Registry(tmp_path).set_live("een", door="x")
    assert json.loads((tmp_path / "registry.json").read_text())["live"] == ["een"]
    assert Registry(tmp_path).live().etag.startswith('"')


# --- jobs ---------------------------------------------------------------------------------


def test_one_job_at_a_time_and_dead_workers_count_as_failed(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path / "jobs", tmp_path / "models")
    job = jobs.create(TRAIN, "ans")
    assert jobs.get("../../etc") is None and jobs.get(job.id) is not None
    with jobs.exclusive():
        with pytest.raises(Busy):
            with jobs.exclusive():
                pass
    with jobs.exclusive():  # free again
        pass
    job.update(pid=2**22 + 12345)  # no such process
    assert job.state().status == FAILED
    job.update(status=DONE, klaar_op=job.state().gestart + 90)
    assert jobs.usual_duration(TRAIN) == 90
    for seconds in (300, 400):
        other = jobs.create(TRAIN, "ans")
        other.update(status=DONE, klaar_op=other.state().gestart + seconds)
    assert jobs.usual_duration(TRAIN) == 300  # the median of the last runs
    assert jobs.running() is None and RUNNING == "bezig"


# --- accounts and the command line ----------------------------------------------------------


def test_password_policy() -> None:
    assert policy_error("kort", "ans")
    assert policy_error("ans-heeft-een-wachtwoord", "ans")
    assert policy_error("aaaaaaaaaaaaaaa", "bob")
    assert policy_error("een-prima-wachtwoord-42", "ans") is None


def test_command_line_promote_and_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BALIE_MODELS_DIR", str(tmp_path))
    registry = Registry(tmp_path)
    for name, score in (("een", 0.8), ("twee", 0.7)):
        registry.register(fake_model(tmp_path, name))
        fake_evaluation(tmp_path, name, score)
    registry.set_live("een", door="x")
    assert cli.main(["promote", "twee", "--by", "ans"]) == 1
    assert "scoort slechter" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--reason"):
        cli.main(["promote", "twee", "--force"])
    assert cli.main(["promote", "twee", "--force", "--reason", "test", "--by", "ans"]) == 0
    assert registry.live().name == "twee" and registry.history()[0]["overruled"]
    assert cli.main(["rollback", "--by", "ans"]) == 0
    assert registry.live().name == "een"


def test_command_line_creates_a_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BALIE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BALIE_DATABASE_URL", "")
    monkeypatch.setattr("sys.stdin", io.StringIO("een-lang-wachtwoord-42\n"))
    assert cli.main(["create-user", "Ans", "--role", "beheerder", "--password-stdin"]) == 0
    assert "Created ans (beheerder)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert cli.main(["create-user", "bob", "--role", "trainer", "--password-stdin"]) == 1


def test_most_of_the_nearest_examples_decide() -> None:
    def near(*intents: str, alike: float = 0.7) -> list[similarity.Neighbour]:
        return [similarity.Neighbour(f"zin {i}", name, alike) for i, name in enumerate(intents)]

    judge = similarity.judge
    other = judge("x", "melding_doen", near("faq/pgb", "faq/pgb", "faq/pgb", "hulp", "hulp"))
    assert other is not None and other.other == "faq/pgb" and len(other.nearest) == 5
    # The chosen intent among the nearest as often: the choice may well be right.
    assert judge("x", "hulp", near("faq/pgb", "faq/pgb", "hulp", "hulp", "x")) is None
    # Two of five is no majority; the chosen one itself: nothing to ask.
    assert judge("x", "hulp", near("faq/pgb", "faq/pgb", "a", "b", "c")) is None
    assert judge("x", "faq/pgb", near("faq/pgb", "faq/pgb", "faq/pgb", "a", "b")) is None
    # Examples that hardly look like it ("prieel" and "prima") do not count.
    unlike = near("bevestigen", "bevestigen", "bevestigen", "a", "b", alike=similarity.ALIKE - 0.01)
    assert judge("prieel", "faq/omgevingsvergunning", unlike) is None
