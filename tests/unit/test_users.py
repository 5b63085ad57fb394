from bot.shop.users import parse_referral, referral_code


def test_referral_codes_round_trip() -> None:
    for user_id in (1, 35, 36, 123456789):
        assert parse_referral(f"ref_{referral_code(user_id)}") == user_id


def test_garbage_referral_parameters_are_ignored() -> None:
    for garbage in (None, "", "ref_", "ref_!!", "ref_" + "z" * 40, "hello", "ref_0", "REF_-1"):
        assert parse_referral(garbage) is None
