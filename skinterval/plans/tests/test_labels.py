from skinterval.plans.templatetags.plan_labels import code_label


def test_codes_read_as_words():
    assert code_label("tca_cross") == "TCA CROSS"
    assert code_label("fractional_nonablative_laser") == "Fractional nonablative laser"
    assert code_label("prp") == "PRP"
