//! Argument arrays (being written).
