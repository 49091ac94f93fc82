"""Custom actions of the AliExpress contact assistant (one module per concern).

The action server imports this package while it starts: the knowledge files and the parser are
set up here, not on the first conversation's turns (about a second of their time on 2 cores).
"""
from actions import knowledge
from parsing import warm_up

knowledge.read_all()
warm_up()
