"""The offline reviewer: deterministic, multilingual, and it keeps every fact."""

from __future__ import annotations

import pytest

from bot.coaching.coach import Coach
from bot.coaching.evaluate import evaluate, read_corpus
from bot.coaching.guidelines import load_guidelines
from bot.coaching.offline import OfflineReviewer
from bot.coaching.text import numbers
from tests.coaching import CORPUS


@pytest.fixture(scope="module")
def reviewer() -> OfflineReviewer:
    return OfflineReviewer(load_guidelines())


def ids(review) -> set[str]:
    return set(review.guideline_ids)


def test_arguing_and_policy_talk_are_found_in_english(reviewer):
    review = reviewer.review("As I already explained, that's how our billing works.",
                             "Why was I charged twice?")
    assert review.verdict == "needs_work" and review.language == "en"
    assert "dont-argue" in ids(review)
    for finding in review.findings:
        assert finding.quote in "As I already explained, that's how our billing works."
        assert finding.explanation


def test_a_kind_reply_is_ok_and_its_rewrite_is_the_draft(reviewer):
    draft = ("Thank you for telling us, and sorry for the double charge. I have refunded "
             "€19.99 for order #48213 today; you will see it within 3 days.")
    review = reviewer.review(draft, "Why was I charged twice?")
    assert review.verdict == "ok" and review.findings == []
    assert review.rewrite == draft


@pytest.mark.parametrize(("draft", "guideline", "language"), [
    ("Как я уже объяснял, возврат занимает 5 дней.", "dont-argue", "ru"),
    ("Как я уже объясняла, возврат занимает 5 дней.", "dont-argue", "ru"),
    ("Jak już pisałem, zwrot trwa 5 dni.", "dont-argue", "pl"),
    ("Jak już pisałam wcześniej, zwrot trwa 5 dni.", "dont-argue", "pl"),
    ("Як я вже пояснював, повернення триває 5 днів.", "dont-argue", "uk"),
    ("Nagu ma juba ütlesin, raha tagastamine võtab 5 päeva.", "dont-argue", "et"),
])
def test_inflected_forms_are_recognised(reviewer, draft, guideline, language):
    review = reviewer.review(draft)
    assert review.language == language
    assert guideline in ids(review)


def test_shouting_is_a_stay_calm_finding_and_is_calmed_in_the_rewrite(reviewer):
    review = reviewer.review("PLEASE READ THE MESSAGE BEFORE WRITING!!! Order #48213 shipped.")
    assert "stay-calm" in ids(review)
    assert "PLEASE READ" not in review.rewrite and "!!!" not in review.rewrite
    assert "48213" in review.rewrite


def test_feedback_without_thanks_is_found_from_the_context(reviewer):
    context = "I think it would be better if the invoice showed the VAT separately."
    review = reviewer.review("The invoice format is fixed for everyone.", context)
    assert "thank-feedback" in ids(review)
    fix = load_guidelines()["thank-feedback"].fix["en"]
    assert fix in review.rewrite


def test_the_rewrite_keeps_every_fact_and_speaks_the_drafts_language(reviewer):
    draft = ("Как я уже объяснял, заказ №48213 на 1 290 ₽ отправлен 12.03.2026, "
             "трек на https://example.com/track/48213, пишите на anna@example.com.")
    review = reviewer.review(draft)
    assert review.verdict == "needs_work"
    for fact in ("48213", "1 290", "12.03.2026", "https://example.com/track/48213",
                 "anna@example.com"):
        assert fact in review.rewrite
    assert "Как я уже объяснял" not in review.rewrite
    assert review.language == "ru"


def test_the_same_draft_always_gets_the_same_review(reviewer):
    draft = "Jak już pisałem, to nie mój dział. Proszę pisać do księgowości."
    assert reviewer.review(draft) == reviewer.review(draft)


def test_corpus_accuracy_meets_the_bar():
    """The issue's bar: verdict accuracy >= 0.85, false alarms on good drafts <= 15%."""
    items = read_corpus(CORPUS)
    report = evaluate(items, Coach(load_guidelines()).review)
    print("\n" + report.format())
    assert report.total >= 80
    assert {item.language for item in items} == {"en", "ru", "pl", "et", "uk"}
    assert report.accuracy >= 0.85
    assert report.false_alarm_rate <= 0.15


def test_corpus_rewrites_keep_every_number():
    items = read_corpus(CORPUS)
    coach = Coach(load_guidelines())
    for item in items:
        review = coach.review(item.draft, item.context)
        missing = [n for n in numbers(item.draft) if n not in review.rewrite]
        assert not missing, (item.draft, review.rewrite)


def test_the_guidelines_own_examples_are_judged_as_labelled(reviewer):
    """Good examples pass; bad examples of phrase-based guidelines are caught."""
    guidelines = load_guidelines()
    for guideline in guidelines.guidelines:
        for example in guideline.examples:
            good = reviewer.review(example.good)
            assert good.verdict == "ok", (guideline.id, example.good, good.findings)
            if guideline.offline.patterns.get(example.lang):
                bad = reviewer.review(example.bad)
                assert guideline.id in ids(bad), (guideline.id, example.bad)


@pytest.mark.parametrize(("context", "draft"), [
    ("My flight was cancelled and I'm stuck here with my kids, I'm panicking.",
     "We apologise for any inconvenience caused. Flights are rebooked by the airline."),
    ("Ліки для тата досі не приїхали, я дуже хвилююся.",
     "Перепрошуємо за затримку. Склад зараз перевантажений."),
    ("Leki dla mamy nie dotarły, bardzo się martwię.",
     "Przepraszamy za opóźnienie. Magazyn jest teraz przeciążony."),
])
def test_a_stock_apology_alone_is_not_empathy_for_a_distressed_customer(reviewer, context,
                                                                          draft):
    assert "empathy" in ids(reviewer.review(draft, context))


@pytest.mark.parametrize(("context", "heard", "facts"), [
    ("My flight was cancelled and I'm stuck at the airport, I'm really stressed.",
     "What a horrible start to your trip, I feel for you.",
     "I've rebooked you on the 18:40 flight and emailed the new boarding pass."),
    ("Olen täiesti endast väljas! Maksin parkimise eest ja sain ikka trahvi!",
     "Saan väga hästi aru, see on tõesti vihastav.",
     "Täitsin teie eest vaidlustuse vormi, jääb ainult allkirjastada."),
])
def test_feelings_acknowledged_in_words_no_phrase_lists_are_still_empathy(
        reviewer, context, heard, facts):
    """The ``says:empathy`` classifier hears what the required phrases do not."""
    assert "empathy" not in ids(reviewer.review(f"{heard} {facts}", context))
    assert "empathy" in ids(reviewer.review(facts, context))


def test_an_apology_about_the_customers_own_trouble_still_counts(reviewer):
    review = reviewer.review(
        "Sorry for the inconvenience with your payment, I've reset it, so please try again now.",
        "My payment failed for the third time and I'm panicking, the sale ends today.")
    assert "empathy" not in ids(review)


def test_a_bare_thanks_after_dismissing_feedback_is_not_thanks(reviewer):
    context = "Feedback: your courier rang at 7 am, maybe ask them to call a bit later."
    dismissive = reviewer.review("Couriers plan their own routes. Thanks.", context)
    assert "thank-feedback" in ids(dismissive)
    grateful = reviewer.review("Thanks for telling us, I've passed it to the depot today.",
                               context)
    assert "thank-feedback" not in ids(grateful)


def test_an_insult_answered_with_empathy_needs_no_thank_you(reviewer):
    review = reviewer.review(
        "I'm sorry the app has let you down so badly. Could you tell me what went wrong last "
        "time? I'll look into it myself and reply today.",
        "Your app is a pile of rubbish and whoever made it should be fired.")
    assert "thank-feedback" not in ids(review)


@pytest.mark.parametrize(("context", "draft"), [
    ("I see a payment of €649 to 'ELCTRNX LTD' that I did not make.",
     "I've opened a dispute for the €649 payment to ELCTRNX LTD and blocked the card."),
    ("Why am I charged in dollars?",
     'Your statement will show €9.49 from "NOTEPAD PRO" on 2 May, in euros.'),
])
def test_a_name_in_capitals_is_not_shouting(reviewer, context, draft):
    assert "stay-calm" not in ids(reviewer.review(draft, context))


def test_capitals_of_the_agents_own_are_still_shouting(reviewer):
    review = reviewer.review("PLEASE READ THE TERMS before you write to us again.",
                             "Where is my refund?")
    assert "stay-calm" in ids(review)


@pytest.mark.parametrize(("draft", "guideline"), [
    ("Believe it or not, we do read every order before it ships.", "stay-calm"),
    ("Хотите верьте, хотите нет, но мы читаем каждое письмо.", "stay-calm"),
    ("Wierzy Pani lub nie, czytamy wszystkie maile.", "stay-calm"),
    ("Usute või mitte, me saadame kõik tellimused välja.", "stay-calm"),
    ("Вірите чи ні, але ми читаємо кожен лист.", "stay-calm"),
    ("As I explained in my last reply, sync never deletes files.", "dont-argue"),
    ("Должна вас поправить: тариф не менялся с марта.", "dont-argue"),
    ("Muszę Pana poprawić: taryfa nie zmieniła się od marca.", "dont-argue"),
    ("Pean Teid siinkohal parandama: hind ei muutunud.", "dont-argue"),
    ("Мушу вас виправити: тариф не змінювався з березня.", "dont-argue"),
    ("If you'd read the terms under the code, you'd know it needs a basket over £50.", "no-blame"),
    ("Gdyby Pani sprawdzała wiadomości od przychodni, uniknęłaby Pani przyjazdu.", "no-blame"),
    ("Если бы вы передавали показания каждый месяц, такого скачка бы не было.", "no-blame"),
    ("Kui oleksite paki õigel ajal ära toonud, poleks probleemi tekkinud.", "no-blame"),
    ("Якби Ви прочитали опис, то побачили б, що зарядка має роз'єм USB-C.", "no-blame"),
    ("Congratulations, you just found a button that has been there for two years.", "stay-calm"),
    ("Читать мы умеем, ошибка произошла на складе.", "stay-calm"),
])
def test_talking_down_correcting_and_blaming_in_hindsight_are_found(reviewer, draft, guideline):
    assert guideline in ids(reviewer.review(draft, "Why is my bill higher this month?"))


@pytest.mark.parametrize("short", ["No problem at all.", "Так, без проблем.", "Jah, saate küll.",
                                   "Ви не самі з цим."])
def test_a_short_plain_sentence_is_not_flagged_by_the_classifiers_alone(reviewer, short):
    draft = f"Hi Ana,\n\n{short} Your order 4471 ships on Monday.\n\nBest,\nTom"
    review = reviewer.review(draft, "Can I still change the delivery address?")
    assert not [f for f in review.findings if f.quote == short]


@pytest.mark.parametrize("draft", [
    "The tour was cancelled because we didn't sell enough places, but that's our problem, "
    "not yours.",
    "Actually, there's good news: the export is already in the app under Reports.",
    "Нет, вы ничего не сделали не так, письмо просто задержалось у нас.",
    "Ні, ви нічого не зробили не так, лист просто затримався в нас.",
    "Wiem, że nie jest to jasno napisane w regulaminie, więc zwróciłam Pani 12 zł.",
    "Hea uudis: teie tellimus pole tegelikult kadunud, see on lihtsalt teises laos.",
    "Tellimus jäi lattu seisma, sest toode oli valesti märgitud; see on meie viga.",
    "Zwrotami zajmuje się sprzedawca, ale nie musi Pan kontaktować się z nim samodzielnie.",
    "Согласна, строчка в квитанции сейчас почти ничего не объясняет.",
    "Ми погано про це попередили, тому Ваша реакція цілком зрозуміла.",
    "You're right, the new menu doesn't make it easy to find the export.",
    "Rozumiem, jak to niepokoi: status mówi doręczono, a paczki nie ma.",
])
def test_a_sentence_taking_the_blame_or_the_trouble_on_us_is_spared(reviewer, draft):
    # Each of these was flagged (for arguing, blaming, a jab or passing the buck) before the
    # guidelines' `spares` phrases cleared the sentence.
    assert reviewer.review(draft, "Why is my bill higher this month?").verdict == "ok"


@pytest.mark.parametrize("draft", [
    "Nie, to nie jest nasz błąd. W historii widać, że wybrał Pan 12:51.",
    "It's not our mistake, you picked the wrong date yourself.",
])
def test_denying_the_blame_is_not_taking_it(reviewer, draft):
    assert {"dont-argue", "no-blame"} <= ids(reviewer.review(draft, "Why was I charged?"))


def test_agreeing_and_then_contradicting_is_still_arguing(reviewer):
    draft = "I understand, but that's simply not true, the fee was always there."
    assert "dont-argue" in ids(reviewer.review(draft, "Why was I charged?"))


@pytest.mark.parametrize("draft", [
    "After online check-in the booking system locks extra services, that's how it is set up."
    "\n\n1. Open *My trips* in the app.\n2. Tap *Extras* and choose a bag.",
    "Po odprawie online system blokuje zmiany w usługach dodatkowych. Aktualne opcje można "
    "sprawdzić w aplikacji w zakładce Rezerwacje.",
    "Our policy has a 29-minute grace period, after which the system adds a day. I've waived "
    "the extra day, so you'll see €43 back on your card this week.",
])
def test_a_rule_explained_with_steps_or_what_was_done_leads_with_a_solution(reviewer, draft):
    assert "solution-first" not in ids(reviewer.review(draft, "Why can't I add luggage?"))


@pytest.mark.parametrize("draft", [
    "Pärast piletite väljastamist süsteem nimemuudatusi ei võimalda. Nime saab muuta ainult "
    "enne broneeringu kinnitamist.",
    "После регистрации система не позволяет менять услуги. Изменить их можно только до "
    "регистрации.",
])
def test_what_could_only_have_been_done_before_is_no_next_step(reviewer, draft):
    assert "solution-first" in ids(reviewer.review(draft, "Why can't I add luggage?"))


def test_saying_i_will_handle_it_myself_is_taking_ownership(reviewer):
    draft = "Извините, что пришлось ходить между поддержками, — дальше этим займусь я сам."
    assert "ownership" not in ids(reviewer.review(draft, "Меня уже трижды переключали!"))


MOCKING_SMILE = ("Hi Tom,\n\nWell done, you managed to find the settings page at last 😉\n"
                 "The export button is at the top right.\n\nBest,\nAnna")


def test_a_jab_with_a_smile_is_flagged_from_the_guidelines_smiley_threshold(reviewer):
    context = "Where is the export button? I can't find it anywhere."
    assert "stay-calm" in ids(reviewer.review(MOCKING_SMILE, context))
    # The classifier alone scores this sentence under its usual threshold: without the
    # guideline's smiley_threshold the draft passes.
    guidelines = load_guidelines()
    [calm] = [g for g in guidelines.guidelines if g.id == "stay-calm"]
    plain = guidelines.model_copy(update={"guidelines": [
        g if g.id != "stay-calm" else g.model_copy(update={"offline": g.offline.model_copy(
            update={"smiley_threshold": None})}) for g in guidelines.guidelines]})
    assert calm.offline.smiley_threshold is not None
    assert "stay-calm" not in ids(OfflineReviewer(plain).review(MOCKING_SMILE, context))


POLISH_ASCII_SMILE = (
    "the classifier scores a Polish ':)' or ';)' as sarcasm on its own (1.00 for 'Nie ma "
    "problemu, zdarza się każdemu :)'), with or without the smiley threshold")


@pytest.mark.parametrize("draft", [
    "Your new card is on its way and should arrive by Friday 🙂",
    "Happy to help, and enjoy the rest of your weekend :blush:",
    "Дякую, що написали, гарного вам дня 🙂 Повернення вже оформлено.",
    "Dziękujemy za zgłoszenie 🙂 Zwrot 49 zł jest już na Pani koncie.",
    pytest.param("Dziękuję za cierpliwość ;) Zwrot 49 zł jest już na koncie.",
                 marks=pytest.mark.xfail(strict=True, reason=POLISH_ASCII_SMILE)),
])
def test_a_friendly_smile_is_not_a_jab(reviewer, draft):
    assert "stay-calm" not in ids(reviewer.review(draft, "Thanks, where is my card?"))
