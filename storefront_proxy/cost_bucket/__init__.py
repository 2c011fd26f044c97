"""Each shop's Admin API cost bucket as this app last knew it, shared by every web and worker process."""
