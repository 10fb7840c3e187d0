from recommender.evaluate.history import dataset_from_listens
from recommender.history.listens import Listen


def test_a_listen_the_file_marks_as_skipped_is_a_skip():
    """A Rockbox "S" row says skipped without saying how long it played."""
    listens = [
        Listen(1_700_000_000, "Air", "Sexy Boy", skipped=True),
        Listen(1_700_000_300, "Air", "Kelly Watch the Stars"),
        Listen(1_700_000_600, "Air", "Talisman", seconds_played=12.0, duration_s=256.0),
    ]
    plays = dataset_from_listens(listens).plays
    assert plays.skipped.tolist() == [True, False, True]
    assert plays.completed.tolist() == [False, True, False]
