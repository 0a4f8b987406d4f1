// Tests start programs the way the product does.
@_exported import Spawn
