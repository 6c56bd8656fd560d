"""`make bench`: the real HTTP endpoint under load, beside a stock botbuilder echo bot."""
