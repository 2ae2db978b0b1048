"""Language detection for the five team languages."""

import pytest

from bot.coaching.language import detect_language


@pytest.mark.parametrize(("text", "expected"), [
    ("Thank you for your patience, the refund is on its way.", "en"),
    ("Спасибо, что написали нам. Возврат уже оформлен.", "ru"),
    ("Дякуємо, що написали нам. Повернення вже оформлено.", "uk"),
    ("Dziękujemy za wiadomość, zwrot jest już w drodze.", "pl"),
    ("Aitäh, et meile kirjutasite, raha on juba teel.", "et"),
    ("Order #48213", "en"),
    ("12345", "en"),
])
def test_each_team_language_is_recognised(text, expected):
    assert detect_language(text) == expected
