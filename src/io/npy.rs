//! The NPY format, version 1.0, for f64 arrays (what `numpy.load` reads): the magic
//! `\x93NUMPY`, the version bytes 1 0, the header's length (u16, little-endian), the header
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }` padded with spaces and
//! ended by `\n` so that the data starts at a multiple of 64 bytes, then the entries in
//! row-major order as little-endian f64.

use faer::MatRef;

/// The first six bytes of every NPY file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The bytes of an NPY file holding `data` (row-major) with `shape`: `[r, c]` for a
/// matrix, `[n]` for a vector. Panics if the shape does not hold `data.len()` entries.
pub fn npy_bytes(shape: &[usize], data: &[f64]) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "NPY shape {shape:?} does not hold {} entries",
        data.len()
    );
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {dims}, }}");
    // magic (6) + version (2) + header length (2) + header, ending in '\n', to a multiple of 64.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let len = u16::try_from(header.len()).expect("an NPY header of a few dimensions is short");
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + 8 * data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// An NPY file of the matrix `m` (shape `(rows, cols)`).
pub fn matrix_bytes(m: MatRef<'_, f64>) -> Vec<u8> {
    let data: Vec<f64> = (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)]))
        .collect();
    npy_bytes(&[m.nrows(), m.ncols()], &data)
}

/// An NPY file of the vector `v` (shape `(n,)`).
pub fn vector_bytes(v: &[f64]) -> Vec<u8> {
    npy_bytes(&[v.len()], v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_matrix_has_the_v1_header_and_its_values_row_major() {
        let m = faer::Mat::from_fn(2, 3, |i, j| (10 * i + j) as f64 + 0.5);
        let bytes = matrix_bytes(m.as_ref());
        assert_eq!(&bytes[..6], MAGIC);
        assert_eq!(&bytes[6..8], &[1, 0]);
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let start = 10 + len;
        assert_eq!(start % 64, 0);
        let header = std::str::from_utf8(&bytes[10..start]).unwrap();
        assert!(
            header.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"),
            "{header}"
        );
        assert!(header.ends_with('\n'));
        assert!(header.trim_end_matches('\n').trim_end_matches(' ').ends_with('}'));
        let values: Vec<f64> = bytes[start..]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, vec![0.5, 1.5, 2.5, 10.5, 11.5, 12.5]);
    }

    #[test]
    fn a_vector_has_a_one_dimensional_shape() {
        let bytes = vector_bytes(&[1.0, -2.0, f64::NAN]);
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
        assert!(header.contains("'shape': (3,), }"), "{header}");
        assert_eq!(bytes.len(), 10 + len + 24);
        assert!(f64::from_le_bytes(bytes[10 + len + 16..].try_into().unwrap()).is_nan());
    }
}
