//! The op table of vAccel 0.8: numbers, names, profiling regions and genop reachability.
//!
//! Op numbers travel on the wire (RPC) and index `struct vaccel_plugin.ops`, so this table is
//! the single source for every component that names or numbers an op.

/// Number of op slots (`VACCEL_OP_MAX`).
pub const VACCEL_OP_MAX: usize = 24;

/// One row of the op table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    pub op: OpType,
    /// Item name, as in `VACCEL_OP_<ITEM>`.
    pub item: &'static str,
    /// Lower-case name used in log lines.
    pub lower: &'static str,
    /// Name of the profiling region the core records the op in.
    pub prof_region: &'static str,
    /// Whether `vaccel_genop` can dispatch the op.
    pub genop: bool,
}

macro_rules! op_table {
    ($( $variant:ident = $num:literal, $item:literal, $lower:literal, $region:literal, $genop:literal; )*) => {
        /// `vaccel_op_type_t`.
        #[repr(u32)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OpType { $( $variant = $num, )* }

        /// The op table in op-number order.
        pub const OPS: [OpInfo; VACCEL_OP_MAX] = [
            $( OpInfo { op: OpType::$variant, item: $item, lower: $lower, prof_region: $region, genop: $genop }, )*
        ];
    };
}

op_table! {
    Noop = 0, "NOOP", "noop", "vaccel_noop_op", false;
    Exec = 1, "EXEC", "exec", "vaccel_exec_op", true;
    ExecWithResource = 2, "EXEC_WITH_RESOURCE", "exec_with_resource", "vaccel_exec_with_resource_op", true;
    ImageClassify = 3, "IMAGE_CLASSIFY", "image_classify", "vaccel_image_op", true;
    ImageDetect = 4, "IMAGE_DETECT", "image_detect", "vaccel_image_op", true;
    ImageSegment = 5, "IMAGE_SEGMENT", "image_segment", "vaccel_image_op", true;
    ImagePose = 6, "IMAGE_POSE", "image_pose", "vaccel_image_op", true;
    ImageDepth = 7, "IMAGE_DEPTH", "image_depth", "vaccel_image_op", true;
    TfModelLoad = 8, "TF_MODEL_LOAD", "tf_model_load", "vaccel_tf_model_load", false;
    TfModelUnload = 9, "TF_MODEL_UNLOAD", "tf_model_unload", "vaccel_tf_model_unload", false;
    TfModelRun = 10, "TF_MODEL_RUN", "tf_model_run", "vaccel_tf_model_run", false;
    TfliteModelLoad = 11, "TFLITE_MODEL_LOAD", "tflite_model_load", "vaccel_tflite_model_load", false;
    TfliteModelUnload = 12, "TFLITE_MODEL_UNLOAD", "tflite_model_unload", "vaccel_tflite_model_unload", false;
    TfliteModelRun = 13, "TFLITE_MODEL_RUN", "tflite_model_run", "vaccel_tflite_model_run", false;
    TorchModelLoad = 14, "TORCH_MODEL_LOAD", "torch_model_load", "vaccel_torch_model_load_op", false;
    TorchModelRun = 15, "TORCH_MODEL_RUN", "torch_model_run", "vaccel_torch_model_run_op", false;
    TorchSgemm = 16, "TORCH_SGEMM", "torch_sgemm", "vaccel_sgemm_op", false;
    BlasSgemm = 17, "BLAS_SGEMM", "blas_sgemm", "vaccel_blas_op", true;
    FpgaArraycopy = 18, "FPGA_ARRAYCOPY", "fpga_arraycopy", "vaccel_fpga_arraycopy_op", true;
    FpgaMmult = 19, "FPGA_MMULT", "fpga_mmult", "vaccel_fpga_mmult_op", true;
    FpgaParallel = 20, "FPGA_PARALLEL", "fpga_parallel", "vaccel_fpga_parallel_op", true;
    FpgaVectoradd = 21, "FPGA_VECTORADD", "fpga_vectoradd", "vaccel_fpga_vadd_op", true;
    Minmax = 22, "MINMAX", "minmax", "vaccel_minmax_op", true;
    Opencv = 23, "OPENCV", "opencv", "vaccel_opencv_op", true;
}

impl OpType {
    /// The op with this number, if it is one of the 24.
    pub fn from_u32(n: u32) -> Option<OpType> {
        OPS.get(n as usize).map(|i| i.op)
    }

    /// This op's row of the table.
    pub fn info(self) -> &'static OpInfo {
        &OPS[self as usize]
    }

    /// Lower-case name (`image_classify`).
    pub fn lower_name(self) -> &'static str {
        self.info().lower
    }

    /// All ops in number order.
    pub fn all() -> impl Iterator<Item = OpType> {
        OPS.iter().map(|i| i.op)
    }
}

/// The lower-case name of an op number, `max` for anything out of range (as the C helpers do).
pub fn op_lower_name(n: u32) -> &'static str {
    OpType::from_u32(n).map_or("max", OpType::lower_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_number_order() {
        for (i, info) in OPS.iter().enumerate() {
            assert_eq!(info.op as usize, i);
            assert_eq!(info.lower, info.item.to_lowercase());
        }
    }

    #[test]
    fn numbers_match_the_spec_abi_dump() {
        let Some(dump) = crate::types::tests::spec_abi_dump() else {
            return;
        };
        let section = crate::types::tests::section(&dump, "op types");
        assert_eq!(section.len(), VACCEL_OP_MAX + 1);
        for line in section {
            let f: Vec<&str> = line.split_whitespace().collect();
            let n: u32 = f[0].parse().unwrap();
            if f[2] == "MAX" {
                assert_eq!(n as usize, VACCEL_OP_MAX);
                continue;
            }
            let op = OpType::from_u32(n).unwrap();
            assert_eq!(format!("VACCEL_OP_{}", op.info().item), f[1]);
            assert_eq!(op.lower_name(), f[3]);
        }
    }

    #[test]
    fn out_of_range_is_max() {
        assert_eq!(op_lower_name(24), "max");
        assert_eq!(op_lower_name(u32::MAX), "max");
    }
}
