"""One Toy Faces scorecard for every model (issue 12 point 7, issue 9 points 1 and 5): each model says what it is
scored on (`toyfaces_scores`), the command line asks it rather than its name, and every scorecard has the same fields:
`oracle_target_accuracy`, `oracle_preservation` (the factors the model is meant to keep), `preservation_per_factor`
and the two reference translators under `references`."""
import pytest
import torch

from stargan_edu import cyclegan, mask, v1, v2
from stargan_edu.cli import evaluate_task
from stargan_edu.toyfaces import FACTOR_NAMES, FACTORS, HAIR_COLORS, REFERENCE_TRANSLATORS, load_oracle

CONTENT = {k for k, f in FACTORS.items() if f.role == "content"}


def _tasks() -> dict:
    "Untrained tiny tasks of every model, on Toy Faces at 32 px (the zoo's size: at 16 px a 3×3 blur hides the expression)."
    small = {"image_size": 32, "data": {"source": "toyfaces"}}
    t = {"v1": v1.make_task({**v1.default_config("cpu"), **small, "conv_dim": 4, "g_repeat_num": 1, "d_conv_dim": 4}),
         "v1-hair": v1.make_task({**v1.default_config("cpu"), **small, "conv_dim": 4, "g_repeat_num": 1, "d_conv_dim": 4,
                                  "label_names": list(HAIR_COLORS), "label_kind": "single"}),
         "cyclegan": cyclegan.make_task({**cyclegan.default_config("cpu"), **small, "ngf": 4, "n_blocks": 1, "ndf": 4,
                                         "n_layers": 1, "label_names": list(HAIR_COLORS), "label_kind": "single"}),
         "v1-joint": mask.make_task({**mask.default_config("cpu"), **small, "conv_dim": 4, "g_repeat_num": 1, "d_conv_dim": 4,
                                     "data": {"source": "toyfaces-joint"}}),
         "v2": v2.V2Task(v2.V2Config.cpu(image_size=32, dim_in=8, max_conv_dim=16, hidden_dim=16, style_dim=8, latent_dim=4,
                                         label_names=list(HAIR_COLORS)), extra_config={"data": {"source": "toyfaces"}})}
    return {k: task.eval() for k, task in t.items()}


@pytest.fixture(scope="module")
def cards():
    torch.manual_seed(0)
    oracle = load_oracle()
    return {k: task.toyfaces_scores(oracle, n=8, seed=3) for k, task in _tasks().items()}


def test_every_model_has_the_same_fields(cards):
    for name, card in cards.items():
        assert 0 <= card["oracle_target_accuracy"] <= 1 and 0 <= card["oracle_preservation"] <= 1, name
        assert card["preservation_per_factor"] and all(0 <= v <= 1 for v in card["preservation_per_factor"].values()), name
        assert sorted(card["references"]) == sorted(REFERENCE_TRANSLATORS), name
        for r in REFERENCE_TRANSLATORS:      # the ideal renderer, sharp or blurred, changes and keeps what it should
            assert card["references"][r]["oracle_target_accuracy"] >= 0.85, (name, r, card["references"][r])
            assert card["references"][r]["oracle_preservation"] >= 0.95, (name, r, card["references"][r])


def test_pixel_scores_beside_the_oracle(cards):
    # label-conditioned models have an exact translation: their cards compare pixels with it; the ideal renderer's
    # own pixel scores are the exact ones, and the blurred ideal's lie in between (v2's style is drawn: references only)
    for name, card in cards.items():
        ideal, blurred = card["references"]["ideal"], card["references"]["ideal_blur3"]
        assert abs(ideal["pixel_change"] - 1) < 1e-3 and ideal["pixel_kept_error"] < 1e-3, (name, ideal)
        assert 0 < blurred["pixel_change"] < 1 and blurred["pixel_kept_error"] > 0, (name, blurred)
        assert ("pixel_change" in card) == (name != "v2"), name
    for name in ("v1", "v1-hair"):                   # an untrained residual G is the identity: no change, nothing moved
        assert abs(cards[name]["pixel_change"]) < 0.01 and cards[name]["pixel_kept_error"] < 0.01, (name, cards[name])
    assert cards["cyclegan"]["pixel_kept_error"] > 0.1  # an untrained direct G paints over the whole face


def test_preservation_counts_the_factors_a_model_is_meant_to_keep(cards):
    assert set(cards["v1"]["preservation_per_factor"]) == set(FACTOR_NAMES)          # each kept by some attribute job
    assert set(cards["cyclegan"]["preservation_per_factor"]) == set(FACTOR_NAMES) - {"hair"}
    assert set(cards["v1-joint"]["preservation_per_factor"]) == set(FACTOR_NAMES)
    assert set(cards["v2"]["preservation_per_factor"]) == CONTENT                      # its style is drawn
    v2_card = cards["v2"]
    assert abs(v2_card["oracle_preservation"] - v2_card["latent"]["content_preservation"]) < 1e-9
    assert {"oracle_distinct_styles", "oracle_style_from_reference", "oracle_content_from_source", "latent", "reference"} <= set(v2_card)


def test_model_specific_parts(cards):
    assert list(cards["cyclegan"]["per_direction"]) == ["black→blond", "blond→black"]
    assert len(cards["v1-hair"]["per_direction"]) == 6                  # v1 on hair colours: every ordered pair
    assert list(cards["v1"]["per_attribute"]) == v1.CELEBA_ATTRS
    joint = cards["v1-joint"]
    assert {"attributes", "expressions", "expressions_studio"} <= set(joint)
    for k in ("oracle_target_accuracy", "oracle_preservation"):        # the mean of the attributes' and the expressions'
        assert abs(joint[k] - (joint["attributes"][k] + joint["expressions"][k]) / 2) < 1e-6


def test_the_command_line_asks_the_model_not_its_name():
    task = _tasks()["cyclegan"]
    cfg = {k: v for k, v in task.config().items() if k != "model"}    # no model name at all: the task decides
    torch.manual_seed(0)
    got = evaluate_task(task, cfg, n=8, seed=3)
    torch.manual_seed(0)
    assert got == task.toyfaces_scores(load_oracle(), n=8, seed=3)
    assert evaluate_task(task, {**cfg, "data": {"source": "hf:some/set"}}, n=8) == {}    # not Toy Faces: no oracle

    class Plain(torch.nn.Module):           # a translator that does not say what it can be scored on
        device = torch.device("cpu")
        def translate(self, x, c): return x
    assert evaluate_task(Plain(), {"data": {"source": "toyfaces"}}, n=8) == {}
    v1_other = v1.make_task({**v1.default_config("cpu"), "image_size": 32, "conv_dim": 4, "g_repeat_num": 1,
                             "d_conv_dim": 4, "label_names": ["Smiling", "Male"], "data": {"source": "toyfaces"}})
    assert evaluate_task(v1_other, v1_other.config(), n=8) == {}     # labels the oracle cannot check
